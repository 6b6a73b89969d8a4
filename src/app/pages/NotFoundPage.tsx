import { Link } from 'react-router'

export function NotFoundPage() {
  return (
    <section className="card" role="alert">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the Volunteer page</Link>.
      </p>
    </section>
  )
}
