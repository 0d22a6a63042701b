/**
 * Loads the natural images that patches are cut from: a folder of PNG/JPEG files, one such file, or
 * Olshausen's IMAGES.mat. Photographs are whitened (whiten.ts) unless asked not to; the MAT-file's
 * images are already whitened and are used exactly as stored.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { GrayImage } from './gray-image.ts';
import { imageExtensions, isImageFile, readImageFile } from './image-file.ts';
import { readMatImages } from './matlab.ts';
import { whitenImage } from './whiten.ts';

export type ImageSourceKind = 'image-folder' | 'image-file' | 'mat-file';

/** A loaded image set and what it was loaded from. */
export interface LoadedImageSet {
  /** Absolute path of the folder or file. */
  source: string;
  kind: ImageSourceKind;
  /** Whether the images were whitened here (never for a MAT-file). */
  whitened: boolean;
  images: GrayImage[];
}

/**
 * Loads and (by default) whitens an image set.
 * @param specPath a folder (its .png/.jpg/.jpeg files, sorted by name), one such file, or a .mat file
 * @param options.whiten whiten photographs (whole, any size); ignored for .mat
 * @returns the images, each [height * width] row-major
 */
export async function loadImageSet(specPath: string, options: { whiten?: boolean } = {}): Promise<GrayImage[]> {
  return (await loadImageSetWithSource(specPath, options)).images;
}

/** As `loadImageSet`, also saying what was loaded and how. */
export async function loadImageSetWithSource(specPath: string, { whiten = true }: { whiten?: boolean } = {}): Promise<LoadedImageSet> {
  const { source, kind, files } = await listImageSource(specPath);
  if (kind === 'mat-file') return { source, kind, whitened: false, images: readMatImages(source) };
  const images = files.map((file) => {
    const image = readImageFile(file);
    return whiten ? whitenImage(image) : image;
  });
  return { source, kind, whitened: whiten, images };
}

/**
 * What an image source names, without decoding it.
 * @returns the absolute source, its kind and its image files (sorted by name; [source] for a MAT-file)
 */
export async function listImageSource(specPath: string): Promise<{ source: string; kind: ImageSourceKind; files: string[] }> {
  const source = resolve(specPath);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(source)).isDirectory();
  } catch {
    throw new UserError(`image source ${specPath} does not exist`);
  }
  if (!isDirectory && extname(source).toLowerCase() === '.mat') return { source, kind: 'mat-file', files: [source] };
  if (!isDirectory) {
    if (!isImageFile(source)) throw new UserError(`image source ${specPath} is not a folder, a ${imageExtensions.join('/')} file or a .mat file`);
    return { source, kind: 'image-file', files: [source] };
  }
  const names = (await readdir(source, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && isImageFile(entry.name))
    .map((entry) => entry.name)
    .sort();
  if (names.length === 0) throw new UserError(`image folder ${specPath} has no ${imageExtensions.join('/')} files`);
  return { source, kind: 'image-folder', files: names.map((name) => join(source, name)) };
}
