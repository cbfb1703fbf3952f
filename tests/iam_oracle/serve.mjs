// A long-lived simulator for the tests' fake AWS: each line on stdin is a JSON list of simulations, and each
// line on stdout answers it with one entry per simulation. One node process serves a whole test session, so a
// program run that asks AWS's policy simulator many times does not start node each time.
// Each entry: the overall result, and the statements that matched (policy name and Sid) by side and effect.
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const statements = (found) => (found || []).map((statement) => [statement.policyId, statement.explain?.identifier ?? null])

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue
  const answers = []
  for (const simulation of JSON.parse(line)) {
    const outcome = await runSimulation(simulation, {})
    if (outcome.resultType === 'error') {
      answers.push({ result: 'Error', errors: outcome.errors })
      continue
    }
    const analysis = outcome.result?.analysis ?? {}
    answers.push({
      result: outcome.overallResult,
      identityAllow: statements(analysis.identityAnalysis?.allowStatements),
      identityDeny: statements(analysis.identityAnalysis?.denyStatements),
      resourceAllow: statements(analysis.resourceAnalysis?.allowStatements),
      resourceDeny: statements(analysis.resourceAnalysis?.denyStatements),
    })
  }
  process.stdout.write(JSON.stringify(answers) + '\n')
}
