// The app shell: navigation between the audiences' pages and a status bar for relay, peers and chain.
import { useEffect, useMemo, useState } from 'react'
import { BrowserRouter, NavLink, Route, Routes } from 'react-router'
import { WagmiProvider } from 'wagmi'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { createWagmiConfig } from './wallet/wagmi-config.ts'
import { announceBurner } from './wallet/burner.ts'
import { errorMessage } from '../errors.ts'
import type { StackConfig } from '../stack/stack-config.ts'
import { useDevice } from './hooks/useDevice.ts'
import { useSwarm } from './hooks/useSwarm.ts'
import { useChainStatus } from './hooks/useChainStatus.ts'
import { StackContext } from './stack-context.ts'
import { StatusBar } from './components/StatusBar.tsx'
import { DonationHost } from './components/DonationHost.tsx'
import { VolunteerPage } from './pages/VolunteerPage.tsx'
import { ContributePage } from './pages/ContributePage.tsx'
import { ResearchPage } from './pages/ResearchPage.tsx'
import { LedgerPage } from './pages/LedgerPage.tsx'
import { GovernancePage } from './pages/GovernancePage.tsx'
import { NotFoundPage } from './pages/NotFoundPage.tsx'
import { AuditPage } from './pages/AuditPage.tsx'
import { Glossary } from './glossary/Term.tsx'
import { UsePage } from './pages/UsePage.tsx'

const NAV = [
  { to: '/', label: 'Volunteer' },
  { to: '/contribute', label: 'Contribute' },
  { to: '/research', label: 'Research' },
  { to: '/ledger', label: 'Ledger' },
  { to: '/governance', label: 'Governance' },
  { to: '/audit', label: 'Audit' },
]

export function App({ config }: { config: StackConfig }) {
  const [wagmi] = useState(() => createWagmiConfig(config.chain))
  const [queries] = useState(() => new QueryClient())
  useEffect(() => {
    announceBurner(config.chain).catch((error: unknown) => console.warn(`the burner wallet is unavailable: ${errorMessage(error)}`))
  }, [config.chain])
  return (
    <WagmiProvider config={wagmi}>
      <QueryClientProvider client={queries}>
        <Shell config={config} />
      </QueryClientProvider>
    </WagmiProvider>
  )
}

/** Everything under the providers: the stack's state (device, swarm, chain) is shared with every page. */
function Shell({ config }: { config: StackConfig }) {
  const device = useDevice()
  const swarm = useSwarm(config, device.status === 'ready' ? device.choice.backend : 'unknown')
  const chain = useChainStatus(config.chain)
  const stack = useMemo(() => ({ config, device, swarm, chain }), [config, device, swarm, chain])
  return (
    <StackContext.Provider value={stack}>
      <BrowserRouter>
      <DonationHost>
        <header className="topbar">
          <span className="brand" aria-label="Tesserae">▦ Tesserae</span>
          <nav aria-label="Main">
            {NAV.map(({ to, label }) => (
              <NavLink key={to} to={to} end className={({ isActive }) => (isActive ? 'active' : '')}>
                {label}
              </NavLink>
            ))}
          </nav>
        </header>
        <StatusBar />
        <main className="page">
          <Routes>
            <Route path="/" element={<VolunteerPage />} />
            <Route path="/contribute" element={<ContributePage />} />
            <Route path="/research" element={<ResearchPage />} />
            <Route path="/ledger" element={<LedgerPage />} />
            <Route path="/governance" element={<GovernancePage />} />
            <Route path="/audit" element={<AuditPage />} />
            <Route path="/use" element={<UsePage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        </main>
        <footer className="page-footer">
          <Glossary />
        </footer>
      </DonationHost>
      </BrowserRouter>
    </StackContext.Provider>
  )
}
