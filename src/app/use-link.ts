// The use page's link for one version of a job: it names the job and that version's parameter CID, so whoever
// opens it runs exactly that version.
export const modelUseLink = (jobId: string, paramsCid: string, version: number): string => `/use?job=${encodeURIComponent(jobId)}&params=${encodeURIComponent(paramsCid)}&version=${version}`
