// Previous / next over the pages of a long list of samples (shown only when there is more than one page).
export function Pager({ page, pages, setPage }: { page: number; pages: number; setPage: (page: number) => void }) {
  if (pages <= 1) return null
  return (
    <p>
      <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
        Previous
      </button>{' '}
      page {page + 1} of {pages}{' '}
      <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
        Next
      </button>
    </p>
  )
}
