// Reads a JSON list of simulations on stdin and prints, for each, the simulator's overall result.
// The simulator is @cloud-copilot/iam-simulate: an independent implementation of AWS's policy
// evaluation logic (identity and resource policies, same- and cross-account, all condition operators).
import { runSimulation } from '@cloud-copilot/iam-simulate'

let input = ''
for await (const chunk of process.stdin) input += chunk
const simulations = JSON.parse(input)
const results = []
for (const simulation of simulations) {
  const outcome = await runSimulation(simulation, {})
  if (outcome.resultType === 'error') {
    results.push({ result: 'Error', errors: outcome.errors })
  } else {
    results.push({ result: outcome.overallResult, ignored: outcome.result?.ignoredContextKeys ?? [] })
  }
}
process.stdout.write(JSON.stringify(results))
