// Bring another device into a job: a link that opens the Volunteer page pinned to this job, and the same
// link as a QR code for a phone's camera.
import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import QRCode from 'qrcode'

export const jobShareLink = (origin: string, jobId: string) => `${origin}/?job=${encodeURIComponent(jobId)}`

export function ShareJob({ jobId, jobName }: { jobId: string; jobName: string }) {
  const link = jobShareLink(location.origin, jobId)
  // Drawn once per link; a failure only leaves the link without its picture.
  const qr = useQuery({ queryKey: ['share-qr', link], queryFn: () => QRCode.toDataURL(link, { errorCorrectionLevel: 'M', margin: 2, width: 200 }), staleTime: Infinity, retry: false }).data ?? null
  const [copied, setCopied] = useState<string | null>(null)
  const copy = () =>
    navigator.clipboard.writeText(link).then(
      () => setCopied('Link copied.'),
      () => setCopied('Copying was blocked by the browser; select the link and copy it by hand.'),
    )
  return (
    <div className="share" data-testid="share-job">
      <h3>Invite volunteers</h3>
      <p>
        Open this link on any device to donate compute to “{jobName}”:{' '}
        <a href={link} data-testid="share-link">{link}</a>{' '}
        <button type="button" className="secondary" onClick={() => void copy()}>Copy link</button>
      </p>
      {copied && <p role="status" className="hint">{copied}</p>}
      {qr && <img src={qr} width={200} height={200} alt={`QR code for ${link}`} data-testid="share-qr" />}
    </div>
  )
}
