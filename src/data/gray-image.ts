/**
 * The grayscale image type shared by the image decoders, the MAT-file reader, whitening and patch
 * extraction.
 */

/** A grayscale image, row-major: the pixel at row i, column j is `pixels[i * width + j]`. */
export interface GrayImage {
  width: number;
  height: number;
  /** [height * width], row-major. */
  pixels: Float64Array;
  /** Where the image came from (a file name, or `IMAGES.mat[3]`), for messages and model cards. */
  name?: string;
}
