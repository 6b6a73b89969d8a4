import { DevicePanel } from '../components/DevicePanel.tsx'
import { SwarmPanel } from '../components/SwarmPanel.tsx'
import { EmptyState } from '../components/EmptyState.tsx'
import { DeviceCheckPanel } from '../components/DeviceCheckPanel.tsx'

export function VolunteerPage() {
  return (
    <>
      <h1>Donate compute</h1>
      <div className="grid">
        <DevicePanel />
        <DeviceCheckPanel />
        <SwarmPanel />
        <EmptyState title="Your contribution">
          <p>When a training job is running, this is where you start donating with one click and watch your throughput, accepted work units and earnings.</p>
        </EmptyState>
      </div>
    </>
  )
}
