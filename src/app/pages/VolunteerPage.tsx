import { DevicePanel } from '../components/DevicePanel.tsx'
import { SwarmPanel } from '../components/SwarmPanel.tsx'
import { VolunteerPanel } from '../components/VolunteerPanel.tsx'
import { DeviceCheckPanel } from '../components/DeviceCheckPanel.tsx'

export function VolunteerPage() {
  return (
    <>
      <h1>Donate compute</h1>
      <div className="grid">
        <VolunteerPanel />
        <DevicePanel />
        <SwarmPanel />
        <DeviceCheckPanel />
      </div>
    </>
  )
}
