/**
 * The flags that shape generated data (bars, images:DIR; cli.md), declared once for every command
 * that makes data from a spec (train, evaluate, gap): each command adds the ones it takes.
 */
import { Option } from 'commander';
import { dataDefaults } from '@entropy-sc/core/schema/data-spec';
import { positiveInt, positiveNumber } from './parse.ts';

const { bars, images } = dataDefaults;

export const dataOptions = {
  barsSize: () =>
    new Option('--bars-size <b>', `bars: grid size (D = b², default ${bars.size})`).argParser(positiveInt),
  samples: () =>
    new Option(
      '--samples <N>',
      `bars: points to generate (${bars.samples}); images: patches to cut (${images.samples})`,
    ).argParser(positiveInt),
  noise: () =>
    new Option('--noise <std>', `bars: noise standard deviation (default ${bars.noise})`).argParser(positiveNumber),
  patch: () => new Option('--patch <P>', `images: patch size (D = P², default ${images.patch})`).argParser(positiveInt),
  noWhiten: () => new Option('--no-whiten', 'images: skip the Olshausen-Field whitening'),
};
