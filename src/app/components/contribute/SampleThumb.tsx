// One sample drawn at its true pixel size into a canvas, scaled up by CSS: grayscale, or RGB stored
// channel-major (all red values, then green, then blue) as image tasks store them.
import { memo, useEffect, useRef } from 'react'

export const SampleThumb = memo(function SampleThumb({ pixels, height, width, channels = 1 }: { pixels: Uint8Array; height: number; width: number; channels?: 1 | 3 }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const context = canvas.current?.getContext('2d')
    if (!context) return
    const image = context.createImageData(width, height)
    const plane = height * width
    for (let i = 0; i < plane; i++) {
      const [r, g, b] = channels === 3 ? [pixels[i]!, pixels[plane + i]!, pixels[2 * plane + i]!] : [pixels[i]!, pixels[i]!, pixels[i]!]
      image.data.set([r, g, b, 255], i * 4)
    }
    context.putImageData(image, 0, 0)
  }, [pixels, height, width, channels])
  return <canvas ref={canvas} width={width} height={height} className="thumb" aria-hidden="true" />
})
