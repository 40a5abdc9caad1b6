import type sharp from 'sharp';
import { ApiError } from '@detector/contract';

/** One grey byte per pixel, row by row. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ImageLimits {
  maxPixels: number;
  maxSide: number;
}

/**
 * Decodes an upload into the picture the OCR model reads: upright (EXIF orientation), on white,
 * at most `maxSide` pixels on its longer side, grey. Pixel limits are checked on the header
 * before any pixel is decoded, so a decompression bomb costs nothing.
 */
export async function prepareImage(bytes: Uint8Array, limits: ImageLimits): Promise<GreyImage> {
  const { default: load } = await import('sharp');
  const input = () => load(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error' });
  let meta: sharp.Metadata;
  try {
    meta = await input().metadata();
  } catch (err) {
    throw sharpError(err, limits.maxPixels);
  }
  const { width = 0, height = 0 } = meta;
  if (width * height > limits.maxPixels) {
    throw new ApiError('image_too_large', `the image is ${width}x${height} pixels; at most ${limits.maxPixels} pixels are accepted`);
  }
  try {
    // Raw pixels, not an encoded picture: the OCR models read the pixels and nothing else would.
    const { data, info } = await input()
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize({ width: limits.maxSide, height: limits.maxSide, fit: 'inside', withoutEnlargement: true })
      .greyscale()
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected one grey channel, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (err) {
    throw sharpError(err, limits.maxPixels);
  }
}

/**
 * Whether a prepared image is one flat tone: with no contrast there is no text, and the OCR models
 * would spend seconds and about a gigabyte on a large blank picture to find that out.
 */
export function isBlank(image: GreyImage): boolean {
  let lo = 255;
  let hi = 0;
  for (const v of image.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi - lo < 3;
}

function sharpError(err: unknown, maxPixels: number): ApiError {
  if (/pixel limit/i.test(String((err as Error).message))) {
    return new ApiError('image_too_large', `the image has more than ${maxPixels} pixels`);
  }
  return new ApiError('unreadable_file', 'the image is damaged and could not be decoded');
}
