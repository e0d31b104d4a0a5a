// http_cache_summary.mjs: summarise a results file of http-cache-tests
// (the npm package behind cache-tests.fyi), as tests/bench/http-cache-tests
// prints it.
//
//   node http_cache_summary.mjs PKG_DIR RESULTS.json [-v] [-t MIN_PCT]
//
// PKG_DIR is the installed package (node_modules/http-cache-tests); its test
// definitions give each test's suite, kind and dependencies. RESULTS.json is
// the client's output: {test_id: true | [error_name, message]}.
//
// How a test is classified is the suite's own (lib/display.mjs,
// determineTestResult, reimplemented here because display.mjs needs a
// browser), as cache-tests.fyi shows it:
//   - "required" tests are those of kind "required" or with no kind; the
//     others are "optimal" (a failure is not a conformance problem) and
//     "check" (informational, yes/no);
//   - a test passes when its result is true AND every test it depends on
//     (depends_on) passed: a result of true behind a failed dependency is
//     shown as a dependency failure, not a pass;
//   - browser_only tests are never run by the command-line client and are
//     left out of every count.
// Printed: required tests, passed, percentage (the figure the targets are
// about); the same with results taken alone (ignoring dependencies); pass
// over pass+fail (setup, retry and dependency failures left out); without
// the surrogate-control suite (Surrogate-Control, from the W3C Edge
// Architecture note, not RFC 9111, but counted by cache-tests.fyi); all tests
// with the count the suite's own HTML runner prints (result true); and the
// required tests that did not pass, by suite (with -v, with their messages).
// With -t MIN_PCT, exit status 1 when the required percentage is below it.
import fs from 'fs'
import path from 'path'
import { pathToFileURL } from 'url'

const args = process.argv.slice(2)
let verbose = false
let minPct = null
const pos = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-v') verbose = true
  else if (args[i] === '-t') minPct = parseFloat(args[++i])
  else pos.push(args[i])
}
if (pos.length !== 2 || (minPct !== null && isNaN(minPct))) {
  console.error('usage: node http_cache_summary.mjs PKG_DIR RESULTS.json [-v] [-t MIN_PCT]')
  process.exit(64)
}
const [pkgDir, resultsFile] = pos
const load = async rel => (await import(pathToFileURL(path.resolve(pkgDir, rel)).href)).default
// The same suites, in the same order, as the package's cli.mjs and index.html.
const suites = [...(await load('tests/index.mjs')), await load('tests/surrogate-control.mjs')]
const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))

const byId = new Map()
for (const suite of suites) {
  for (const test of suite.tests) byId.set(test.id, { test, suite })
}

// One of: pass fail optional_fail yes no setup_fail retry dependency_fail
// untested harness_fail, as in lib/display.mjs.
const memo = new Map()
function classify (id) {
  if (memo.has(id)) return memo.get(id)
  const { test } = byId.get(id)
  const result = results[id]
  let c
  if (result === undefined) {
    c = 'untested'
  } else if (test.depends_on !== undefined &&
             test.depends_on.some(dep => !['pass', 'yes'].includes(classify(dep)))) {
    c = 'dependency_fail'
  } else if (result[0] === 'Setup') {
    c = result[1] === 'retry' ? 'retry' : 'setup_fail'
  } else if (result !== true && result[0] !== 'Assertion') {
    c = 'harness_fail'
  } else if (test.kind === undefined || test.kind === 'required') {
    c = result === true ? 'pass' : 'fail'
  } else if (test.kind === 'optimal') {
    c = result === true ? 'pass' : 'optional_fail'
  } else if (test.kind === 'check') {
    c = result === true ? 'yes' : 'no'
  } else {
    throw new Error(`unknown test kind ${test.kind} (${id})`)
  }
  memo.set(id, c)
  return c
}

const pct = (n, d) => d ? (100 * n / d).toFixed(1) + '%' : 'n/a'
const req = { n: 0, pass: 0, rawPass: 0, fail: 0, classes: {} }
const reqNoSurrogate = { n: 0, pass: 0 }
const all = { n: 0, rawPass: 0, classes: {} }
const failedBySuite = new Map()
for (const suite of suites) {
  for (const test of suite.tests) {
    if (test.browser_only === true) continue
    const c = classify(test.id)
    all.n++
    all.classes[c] = (all.classes[c] || 0) + 1
    if (results[test.id] === true) all.rawPass++
    if (test.kind !== undefined && test.kind !== 'required') continue
    req.n++
    req.classes[c] = (req.classes[c] || 0) + 1
    if (c === 'pass') req.pass++
    if (suite.id !== 'surrogate-control') {
      reqNoSurrogate.n++
      if (c === 'pass') reqNoSurrogate.pass++
    }
    if (c === 'fail') req.fail++
    if (results[test.id] === true) req.rawPass++
    if (c !== 'pass') {
      if (!failedBySuite.has(suite.id)) failedBySuite.set(suite.id, { name: suite.name, tests: [] })
      failedBySuite.get(suite.id).tests.push([test, c])
    }
  }
}
const unknown = Object.keys(results).filter(id => !byId.has(id))

const fmtClasses = cs => Object.entries(cs).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
console.log(`required tests: ${req.n}, passed: ${req.pass}, ${pct(req.pass, req.n)}`)
console.log(`  results alone (dependencies ignored): ${req.rawPass}, ${pct(req.rawPass, req.n)}`)
console.log(`  pass / (pass + fail): ${req.pass}/${req.pass + req.fail}, ${pct(req.pass, req.pass + req.fail)}`)
console.log(`  without the surrogate-control suite (not RFC 9111): ${reqNoSurrogate.pass}/${reqNoSurrogate.n}, ${pct(reqNoSurrogate.pass, reqNoSurrogate.n)}`)
console.log(`  ${fmtClasses(req.classes)}`)
console.log(`all tests: ${all.n}, passed (result true): ${all.rawPass}, ${pct(all.rawPass, all.n)}`)
console.log(`  ${fmtClasses(all.classes)}`)
if (unknown.length) console.log(`results for ${unknown.length} unknown test ids (another suite version?)`)
if (failedBySuite.size) {
  console.log('required tests not passed, by suite:')
  for (const [id, { name, tests }] of failedBySuite) {
    console.log(`  ${id} (${name}): ${tests.length}`)
    for (const [test, c] of tests) {
      let line = `    ${c.padEnd(15)} ${test.id}`
      if (verbose && Array.isArray(results[test.id])) line += `: ${results[test.id][1]}`
      console.log(line)
    }
  }
}
if (minPct !== null && 100 * req.pass / req.n < minPct) {
  console.log(`below the target of ${minPct}% of required tests`)
  process.exit(1)
}
