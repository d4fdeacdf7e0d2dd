/**
 * torchvision's Resize(int) + CenterCrop geometry, reproduced to the pixel: the short side becomes `size`,
 * the long side int(size * long / short) (truncated), and the crop offsets use Python's round(), which
 * rounds halves to even.
 */

export interface ResizeCrop {
  /** Size after resizing (before cropping). */
  width: number;
  height: number;
  /** Top-left corner of the crop in the resized image. */
  left: number;
  top: number;
  crop: number;
}

/** Python 3 round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export function resizeCropGeometry(width: number, height: number, size: number, crop: number): ResizeCrop {
  let w: number;
  let h: number;
  if (width <= height) {
    w = size;
    h = Math.trunc((size * height) / width);
  } else {
    h = size;
    w = Math.trunc((size * width) / height);
  }
  // CenterCrop pads with zeros when the crop is larger than the image; with crop <= size that never happens.
  if (crop > w || crop > h) {
    throw new RangeError(`crop ${crop} is larger than the resized image ${w}x${h} (preprocess size ${size} must be >= crop)`);
  }
  return { width: w, height: h, left: roundHalfEven((w - crop) / 2), top: roundHalfEven((h - crop) / 2), crop };
}
