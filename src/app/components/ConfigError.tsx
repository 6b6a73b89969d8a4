export function ConfigError({ message }: { message: string }) {
  return (
    <main className="fatal" role="alert">
      <h1>Tesserae could not start</h1>
      <p>{message}</p>
      <p>Check that the server is running (<code>npm start</code>) and reload the page.</p>
    </main>
  )
}
