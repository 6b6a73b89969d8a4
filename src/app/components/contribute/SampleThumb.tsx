// One sample drawn at its true pixel size into a canvas, scaled up by CSS.
import { memo, useEffect, useRef } from 'react'

export const SampleThumb = memo(function SampleThumb({ pixels, height, width }: { pixels: Uint8Array; height: number; width: number }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const context = canvas.current?.getContext('2d')
    if (!context) return
    const image = context.createImageData(width, height)
    for (let i = 0; i < pixels.length; i++) image.data.set([pixels[i]!, pixels[i]!, pixels[i]!, 255], i * 4)
    context.putImageData(image, 0, 0)
  }, [pixels, height, width])
  return <canvas ref={canvas} width={width} height={height} className="thumb" aria-hidden="true" />
})
