#!/usr/bin/env node
'use strict'

// kafkajs interoperability test program for klamm.
//
//   node index.js <bootstrap host:port> <prefix>
//
// stdout carries only the contract lines:
//   VERSION kafkajs <version>
//   PASS <scenario> | FAIL <scenario>: <reason> | SKIP <scenario>: <reason>
// Everything else (kafkajs logs, progress) goes to stderr. Exits 0 even when
// scenarios fail; every wait is bounded (each scenario <= 30 s, the whole
// program <= 2 min).

const util = require('util')

// Nothing but contract lines may reach stdout: route console output to stderr.
const toStderr = (...args) => process.stderr.write(util.format(...args) + '\n')
console.log = toStderr
console.info = toStderr
console.debug = toStderr
console.warn = toStderr

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'

const out = line => process.stdout.write(line + '\n')
const log = (...args) => toStderr('[interop]', ...args)

const PROGRAM_START = Date.now()
const PROGRAM_BUDGET_MS = 110 * 1000 // hard stop well inside 2 minutes
const PROGRAM_DEADLINE = PROGRAM_START + PROGRAM_BUDGET_MS
const SCENARIO_MAIN_MS = 25 * 1000 // + at most ~4 s of cleanup => <= 30 s
const CLEANUP_MS = 4 * 1000
const DUPLICATE_GRACE_MS = 1500 // keep consuming this long after the expected count

const SCENARIOS = [
  'produce-auto-topic',
  'create-topic',
  'produce-keyed',
  'group-consume',
  'commit-resume',
  'headers',
  'compression-gzip',
  'compression-snappy',
  'compression-lz4',
  'compression-zstd',
  'group-takeover',
  'list-topics',
]

// ---------------------------------------------------------------------------
// Arguments, library, codecs

const [bootstrap, prefix] = process.argv.slice(2)
if (!bootstrap || !prefix) {
  process.stderr.write('usage: node index.js <bootstrap host:port> <prefix>\n')
  process.exit(2)
}

let kafkajsVersion = 'unknown'
try {
  kafkajsVersion = require('kafkajs/package.json').version
} catch (e) {
  log('cannot read kafkajs/package.json:', e.message)
}
out(`VERSION kafkajs ${kafkajsVersion}`)

const { Kafka, logLevel, CompressionTypes, CompressionCodecs, Partitioners } = require('kafkajs')

// Optional codec packages. A codec whose package failed to install/build is
// reported as SKIP with the reason.
const codecUnavailable = {}
try {
  const SnappyCodec = require('kafkajs-snappy')
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
} catch (e) {
  codecUnavailable.snappy = `codec package kafkajs-snappy not loadable (${oneLine(e)})`
}
try {
  const LZ4Codec = require('kafkajs-lz4')
  CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec
} catch (e) {
  codecUnavailable.lz4 = `codec package kafkajs-lz4 (native lz4) not loadable (${oneLine(e)})`
}
try {
  // The published kafkajs zstd codec packages do not install (@kafkajs/zstd:
  // its native cppzst fails to compile against Node 20 headers) or do not load
  // (@sensejs/kafkajs-zstd-support 0.11.0: broken CJS build), so the codec is
  // the same few lines around zstd-napi that the latter wraps.
  const zstd = require('zstd-napi')
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    async compress(encoder) {
      return zstd.compress(encoder.buffer)
    },
    async decompress(buffer) {
      return zstd.decompress(buffer)
    },
  })
} catch (e) {
  codecUnavailable.zstd = `codec package zstd-napi (native) not loadable (${oneLine(e)})`
}

// Count codec use, so a compression scenario can tell that the batches really
// travelled compressed in both directions.
const codecCalls = {}
for (const [codec, type] of Object.entries({
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
})) {
  const factory = CompressionCodecs[type]
  if (typeof factory !== 'function') continue
  const calls = (codecCalls[codec] = { compress: 0, decompress: 0 })
  CompressionCodecs[type] = () => {
    const impl = factory()
    return {
      compress(encoder) {
        calls.compress++
        return impl.compress(encoder)
      },
      decompress(buffer) {
        calls.decompress++
        return impl.decompress(buffer)
      },
    }
  }
}

// ---------------------------------------------------------------------------
// Helpers

function oneLine(e) {
  let msg
  if (e instanceof Error) {
    msg = `${e.name && e.name !== 'Error' ? e.name + ': ' : ''}${e.message}`
    if (e.type && !String(msg).includes(e.type)) msg += ` [${e.type}]`
    if (e.originalError && e.originalError !== e) msg += ` (cause: ${oneLine(e.originalError)})`
  } else {
    msg = String(e)
  }
  return msg.replace(/\s+/g, ' ').trim().slice(0, 600)
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

function withTimeout(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

class ScenarioTimeout extends Error {}

// Polls `predicate` until true or the scenario deadline passes.
async function waitFor(ctx, predicate, describe) {
  for (;;) {
    if (ctx.aborted) throw new ScenarioTimeout('scenario aborted')
    if (predicate()) return
    if (Date.now() >= ctx.deadline) {
      throw new ScenarioTimeout(`timed out waiting for ${describe()}`)
    }
    await sleep(50)
  }
}

function logCreator() {
  return ({ namespace, label, log: entry }) => {
    const { message, timestamp, logger, ...extra } = entry
    let extraText = ''
    try {
      extraText = Object.keys(extra).length ? ' ' + JSON.stringify(extra) : ''
    } catch (_) {}
    process.stderr.write(`[kafkajs ${label}] ${namespace}: ${message}${extraText}\n`)
  }
}

const kafka = new Kafka({
  clientId: `${prefix}-kafkajs`,
  brokers: bootstrap.split(','),
  logLevel: logLevel.WARN,
  logCreator,
  connectionTimeout: 3000,
  requestTimeout: 10000,
  retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 6 },
})

const allClients = new Set() // everything to disconnect at the end

let producerPromise = null
function getProducer() {
  if (!producerPromise) {
    const producer = kafka.producer({
      allowAutoTopicCreation: true,
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    allClients.add(producer)
    producerPromise = producer.connect().then(
      () => producer,
      e => {
        producerPromise = null
        allClients.delete(producer)
        throw e
      }
    )
  }
  return producerPromise
}

let adminPromise = null
function getAdmin() {
  if (!adminPromise) {
    const admin = kafka.admin()
    allClients.add(admin)
    adminPromise = admin.connect().then(
      () => admin,
      e => {
        adminPromise = null
        allClients.delete(admin)
        throw e
      }
    )
  }
  return adminPromise
}

// A consumer; registered for end-of-scenario cleanup unless keep=true.
function newConsumer(ctx, groupId, { keep = false } = {}) {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10000,
    rebalanceTimeout: 15000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 8 },
  })
  allClients.add(consumer)
  const joins = []
  consumer.on(consumer.events.GROUP_JOIN, e => {
    joins.push(e.payload)
    log(`GROUP_JOIN ${groupId} member=${e.payload.memberId} leader=${e.payload.isLeader} assignment=${JSON.stringify(e.payload.memberAssignment)}`)
  })
  const crashes = []
  consumer.on(consumer.events.CRASH, e => {
    crashes.push(e.payload.error)
    log(`CRASH ${groupId}: ${oneLine(e.payload.error)} restart=${e.payload.restart}`)
  })
  consumer.joins = joins
  consumer.crashes = crashes
  if (!keep) ctx.cleanups.push(() => disconnect(consumer))
  return consumer
}

async function disconnect(client) {
  try {
    await withTimeout(client.disconnect(), CLEANUP_MS, 'disconnect')
  } catch (e) {
    log('disconnect failed:', oneLine(e))
  } finally {
    allClients.delete(client)
  }
}

// Connects, subscribes and runs `consumer`, appending every message to `sink`.
async function startConsuming(consumer, topics, sink, { fromBeginning = true, tag } = {}) {
  await consumer.connect()
  await consumer.subscribe({ topics, fromBeginning })
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      sink.push({
        tag,
        topic,
        partition,
        offset: Number(message.offset),
        key: message.key === null ? null : message.key.toString(),
        value: message.value === null ? null : message.value.toString(),
        headers: message.headers || {},
      })
    },
  })
}

// Checks that `got` holds exactly the records of `expected` (Map key->value), once each.
function exactlyOnce(got, expected) {
  const seen = new Map()
  const problems = []
  for (const m of got) {
    seen.set(m.key, (seen.get(m.key) || 0) + 1)
    if (!expected.has(m.key)) {
      if (problems.length < 3) problems.push(`unexpected key ${m.key} (p${m.partition}@${m.offset})`)
    } else if (expected.get(m.key) !== m.value) {
      if (problems.length < 3) problems.push(`key ${m.key} has value ${m.value}, want ${expected.get(m.key)}`)
    }
  }
  const dups = [...seen].filter(([k, n]) => n > 1 && expected.has(k))
  const unexpected = [...seen.keys()].filter(k => !expected.has(k))
  const missing = [...expected.keys()].filter(k => !seen.has(k))
  if (dups.length) problems.push(`${dups.length} keys delivered more than once (e.g. ${dups[0][0]} x${dups[0][1]})`)
  if (missing.length) problems.push(`${missing.length} keys missing (e.g. ${missing.slice(0, 3).join(',')})`)
  if (unexpected.length) problems.push(`${unexpected.length} unexpected keys`)
  if (problems.length) {
    throw new Error(`received ${got.length} records, expected ${expected.size}: ${problems.join('; ')}`)
  }
}

function records(from, to) {
  const m = new Map()
  for (let i = from; i < to; i++) m.set(`k${i}`, `v${i}`)
  return m
}

function toMessages(expected) {
  return [...expected].map(([key, value]) => ({ key, value }))
}

function checkAcks(result, what) {
  if (!Array.isArray(result) || result.length === 0) {
    throw new Error(`${what}: send returned no record metadata (${JSON.stringify(result)})`)
  }
  const bad = result.filter(r => r.errorCode !== 0)
  if (bad.length) throw new Error(`${what}: partitions acked with errors ${JSON.stringify(bad)}`)
}

async function highWatermarks(topic) {
  const admin = await getAdmin()
  const offsets = await admin.fetchTopicOffsets(topic)
  const hw = {}
  for (const o of offsets) hw[o.partition] = Number(o.high)
  return hw
}

// Produce `expected` to `topic` and consume it back with a fresh group; returns the records.
async function roundTrip(ctx, topic, expected, sendOptions = {}) {
  const producer = await getProducer()
  ctx.stage = `producing to ${topic}`
  const result = await producer.send({ topic, messages: toMessages(expected), acks: -1, ...sendOptions })
  checkAcks(result, 'produce')
  ctx.stage = `consuming ${topic}`
  const got = []
  const consumer = newConsumer(ctx, `${topic}-g`)
  await startConsuming(consumer, [topic], got)
  await waitFor(ctx, () => got.length >= expected.size, () => `${expected.size} records from ${topic} (got ${got.length})`)
  await sleep(DUPLICATE_GRACE_MS)
  exactlyOnce(got, expected)
  return got
}

// ---------------------------------------------------------------------------
// Scenarios

const T = {
  auto: `${prefix}-auto`,
  three: `${prefix}-three`,
  headers: `${prefix}-headers`,
  four: `${prefix}-four`,
}
const GROUP = `${prefix}-group`
const TAKEOVER_GROUP = `${prefix}-takeover`

const state = {
  partitionOfKey: null, // produce-keyed: key -> partition chosen by the client
  partitionOf: null, // produce-keyed: the client's key -> partition function for <prefix>-three
  groupConsumer: null, // group-consume: still running consumer, handed to commit-resume
  groupGot: null,
}

const scenarios = {
  'produce-auto-topic': async ctx => {
    const producer = await getProducer()
    const expected = records(0, 100)
    ctx.stage = 'send'
    const result = await producer.send({ topic: T.auto, messages: toMessages(expected), acks: -1 })
    checkAcks(result, 'send')
    ctx.stage = 'ListOffsets'
    const hw = await highWatermarks(T.auto)
    const total = Object.values(hw).reduce((a, b) => a + b, 0)
    if (total !== 100) throw new Error(`high watermarks sum to ${total}, expected 100 (${JSON.stringify(hw)})`)
  },

  'create-topic': async ctx => {
    const admin = await getAdmin()
    ctx.stage = 'createTopics'
    const created = await admin.createTopics({
      topics: [{ topic: T.three, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 10000,
    })
    if (created !== true) throw new Error(`createTopics returned ${created} (topic already existed?)`)
    ctx.stage = 'fetchTopicMetadata'
    const md = await admin.fetchTopicMetadata({ topics: [T.three] })
    const topic = md.topics.find(t => t.name === T.three)
    if (!topic) throw new Error(`topic missing from metadata: ${JSON.stringify(md)}`)
    const ids = topic.partitions.map(p => p.partitionId).sort((a, b) => a - b)
    if (ids.join(',') !== '0,1,2') throw new Error(`expected partitions 0,1,2, metadata has [${ids}]`)
  },

  'produce-keyed': async ctx => {
    const producer = await getProducer()
    const admin = await getAdmin()
    const expected = records(0, 300)
    ctx.stage = 'fetchTopicMetadata'
    const md = await admin.fetchTopicMetadata({ topics: [T.three] })
    const partitionMetadata = md.topics[0].partitions
    if (partitionMetadata.length !== 3) throw new Error(`topic has ${partitionMetadata.length} partitions, expected 3`)
    // The same partitioner the producer uses: key -> partition is deterministic.
    const partitioner = Partitioners.DefaultPartitioner()
    const partitionOfKey = new Map()
    const perPartition = { 0: 0, 1: 0, 2: 0 }
    for (const [key, value] of expected) {
      const p = partitioner({ topic: T.three, partitionMetadata, message: { key, value } })
      partitionOfKey.set(key, p)
      perPartition[p]++
    }
    ctx.stage = 'send'
    const result = await producer.send({ topic: T.three, messages: toMessages(expected), acks: -1 })
    checkAcks(result, 'send')
    const used = [...new Set(result.map(r => r.partition))].sort()
    if (used.join(',') !== '0,1,2') {
      throw new Error(`send result metadata covers partitions [${used}], expected all of 0,1,2: ${JSON.stringify(result)}`)
    }
    for (const r of result) {
      if (Number(r.baseOffset) !== 0) throw new Error(`partition ${r.partition} baseOffset ${r.baseOffset}, expected 0 on a new topic`)
    }
    // Every record acknowledged: each partition's log end offset equals the number of keys routed there.
    ctx.stage = 'ListOffsets'
    const hw = await highWatermarks(T.three)
    for (const p of [0, 1, 2]) {
      if (hw[p] !== perPartition[p]) {
        throw new Error(`partition ${p} high watermark ${hw[p]}, expected ${perPartition[p]} (${JSON.stringify(hw)})`)
      }
    }
    state.partitionOfKey = partitionOfKey
    state.partitionOf = key => partitioner({ topic: T.three, partitionMetadata, message: { key } })
  },

  'group-consume': async ctx => {
    const expected = records(0, 300)
    const got = []
    const consumer = newConsumer(ctx, GROUP, { keep: true })
    state.groupConsumer = consumer
    state.groupGot = got
    ctx.stage = 'connect/subscribe/run'
    await startConsuming(consumer, [T.three], got)
    await waitFor(ctx, () => got.length >= 300, () => `300 records (got ${got.length}, joins ${consumer.joins.length})`)
    await sleep(DUPLICATE_GRACE_MS)
    exactlyOnce(got, expected)
    if (state.partitionOfKey) {
      const wrong = got.filter(m => state.partitionOfKey.get(m.key) !== m.partition)
      if (wrong.length) {
        const w = wrong[0]
        throw new Error(`${wrong.length} records in an unexpected partition, e.g. ${w.key} in p${w.partition}, produced to p${state.partitionOfKey.get(w.key)}`)
      }
    }
  },

  'commit-resume': async ctx => {
    const admin = await getAdmin()
    const first = state.groupConsumer
    const firstGot = state.groupGot || []
    if (first) {
      // Explicit commit of the next offsets to read (on top of autoCommit).
      const next = {}
      for (const m of firstGot) {
        if (m.topic === T.three) next[m.partition] = Math.max(next[m.partition] || 0, m.offset + 1)
      }
      const commits = Object.entries(next).map(([p, o]) => ({ topic: T.three, partition: Number(p), offset: String(o) }))
      ctx.stage = 'commitOffsets'
      await first.commitOffsets(commits)
      ctx.stage = 'disconnect first consumer'
      state.groupConsumer = null
      await disconnect(first)
    } else {
      throw new Error('no consumer from group-consume to commit and disconnect')
    }

    // OffsetFetch: the committed offsets must equal the log end offsets.
    ctx.stage = 'fetchOffsets'
    const hw = await highWatermarks(T.three)
    const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [T.three] })
    const parts = (committed.find(t => t.topic === T.three) || { partitions: [] }).partitions
    for (const p of [0, 1, 2]) {
      const c = parts.find(x => x.partition === p)
      if (!c || Number(c.offset) !== hw[p]) {
        throw new Error(`committed offset for partition ${p} is ${c ? c.offset : 'absent'}, expected ${hw[p]} (committed ${JSON.stringify(parts)})`)
      }
    }

    const producer = await getProducer()
    const expected = records(300, 350)
    ctx.stage = 'produce 50 more'
    checkAcks(await producer.send({ topic: T.three, messages: toMessages(expected), acks: -1 }), 'send')

    ctx.stage = 'second consumer'
    const got = []
    const consumer = newConsumer(ctx, GROUP)
    await startConsuming(consumer, [T.three], got, { fromBeginning: true })
    await waitFor(ctx, () => got.length >= 50, () => `50 records in the resumed group (got ${got.length})`)
    await sleep(DUPLICATE_GRACE_MS)
    exactlyOnce(got, expected)
    if (state.partitionOf) {
      const wrong = got.filter(m => state.partitionOf(m.key) !== m.partition)
      if (wrong.length) throw new Error(`${wrong.length} records in an unexpected partition, e.g. ${wrong[0].key} in p${wrong[0].partition}`)
    }
  },

  headers: async ctx => {
    const producer = await getProducer()
    ctx.stage = 'send'
    const result = await producer.send({
      topic: T.headers,
      acks: -1,
      messages: [{ key: 'hk', value: 'hv', headers: { h1: 'v1', h2: Buffer.from([0x00, 0x01]) } }],
    })
    checkAcks(result, 'send')
    ctx.stage = 'consume'
    const got = []
    const consumer = newConsumer(ctx, `${T.headers}-g`)
    await startConsuming(consumer, [T.headers], got)
    await waitFor(ctx, () => got.length >= 1, () => 'the record with headers')
    await sleep(DUPLICATE_GRACE_MS)
    exactlyOnce(got, new Map([['hk', 'hv']]))
    const h = got[0].headers
    const names = Object.keys(h).sort()
    if (names.join(',') !== 'h1,h2') throw new Error(`header names [${names}], expected [h1,h2]`)
    const h1 = h.h1
    const h2 = h.h2
    if (!Buffer.isBuffer(h1) || h1.toString() !== 'v1') throw new Error(`h1 = ${util.inspect(h1)}, expected 'v1'`)
    if (!Buffer.isBuffer(h2) || !h2.equals(Buffer.from([0x00, 0x01]))) throw new Error(`h2 = ${util.inspect(h2)}, expected <00 01>`)
  },

  'group-takeover': async ctx => {
    const admin = await getAdmin()
    ctx.stage = 'createTopics'
    const created = await admin.createTopics({
      topics: [{ topic: T.four, numPartitions: 4, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 10000,
    })
    if (created !== true) throw new Error(`createTopics returned ${created}`)

    const latest = c => (c.joins.length ? c.joins[c.joins.length - 1].memberAssignment[T.four] || [] : null)
    const got = []

    ctx.stage = 'consumer A'
    const a = newConsumer(ctx, TAKEOVER_GROUP)
    await startConsuming(a, [T.four], got, { tag: 'A' })
    await waitFor(ctx, () => (latest(a) || []).length === 4, () => `consumer A to be assigned all 4 partitions (latest A assignment ${JSON.stringify(latest(a))})`)

    ctx.stage = 'consumer B'
    const b = newConsumer(ctx, TAKEOVER_GROUP)
    await startConsuming(b, [T.four], got, { tag: 'B' })
    const balanced = () => {
      const pa = latest(a)
      const pb = latest(b)
      if (!pa || !pb || pa.length !== 2 || pb.length !== 2) return false
      const all = new Set([...pa, ...pb])
      return all.size === 4 && [0, 1, 2, 3].every(p => all.has(p))
    }
    await waitFor(ctx, balanced, () => `A and B to hold 2 disjoint partitions each (A ${JSON.stringify(latest(a))} after ${a.joins.length} joins, B ${JSON.stringify(latest(b))} after ${b.joins.length} joins)`)
    const assignment = { A: latest(a), B: latest(b) }
    const joinsBefore = a.joins.length + b.joins.length

    const producer = await getProducer()
    const expected = records(0, 40)
    ctx.stage = 'produce 40'
    const result = await producer.send({ topic: T.four, messages: toMessages(expected), acks: -1 })
    checkAcks(result, 'send')
    await waitFor(ctx, () => got.length >= 40, () => `40 records between A and B (got ${got.length}: A ${got.filter(m => m.tag === 'A').length}, B ${got.filter(m => m.tag === 'B').length})`)
    await sleep(DUPLICATE_GRACE_MS)
    exactlyOnce(got, expected)
    if (a.joins.length + b.joins.length === joinsBefore) {
      const misrouted = got.filter(m => !assignment[m.tag].includes(m.partition))
      if (misrouted.length) {
        const m = misrouted[0]
        throw new Error(`consumer ${m.tag} (assigned ${assignment[m.tag]}) received a record from partition ${m.partition}`)
      }
    }
    const fromA = got.filter(m => m.tag === 'A').length
    const fromB = got.filter(m => m.tag === 'B').length
    log(`group-takeover: A ${JSON.stringify(assignment.A)} consumed ${fromA}, B ${JSON.stringify(assignment.B)} consumed ${fromB}`)
  },

  // Every topic, as a user's first look at a broker asks; it must hold the
  // topics the earlier scenarios made.
  'list-topics': async ctx => {
    const admin = await getAdmin()
    ctx.stage = 'listTopics'
    const names = await admin.listTopics()
    const missing = [`${prefix}-auto`, `${prefix}-gzip`].filter(t => !names.includes(t))
    if (missing.length) throw new Error(`listTopics() lists ${names.length} topics, not ${missing}`)
  },
}

for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
  const type = {
    gzip: CompressionTypes.GZIP,
    snappy: CompressionTypes.Snappy,
    lz4: CompressionTypes.LZ4,
    zstd: CompressionTypes.ZSTD,
  }[codec]
  scenarios[`compression-${codec}`] = async ctx => {
    if (codecUnavailable[codec]) return { skip: codecUnavailable[codec] }
    if (!CompressionCodecs[type]) return { skip: `kafkajs has no ${codec} codec registered` }
    // Compressible values so the codec has something to do.
    const expected = new Map()
    for (let i = 0; i < 50; i++) expected.set(`k${i}`, `v${i}-` + `${codec}-payload-`.repeat(20))
    const calls = codecCalls[codec]
    const before = { ...calls }
    await roundTrip(ctx, `${prefix}-${codec}`, expected, { compression: type })
    if (calls.compress === before.compress) throw new Error(`the ${codec} codec was never asked to compress`)
    // Kafka keeps the producer's compression (compression.type=producer); a
    // broker that returns the batches otherwise is noted, not failed: the
    // scenario asks only that the records come back equal.
    log(`compression-${codec}: codec compressed ${calls.compress - before.compress} and decompressed ${calls.decompress - before.decompress} batches`)
    if (calls.decompress === before.decompress) log(`compression-${codec}: NOTE the broker returned the batches without ${codec} compression`)
  }
}

// ---------------------------------------------------------------------------
// Runner

async function runScenario(name) {
  const remaining = PROGRAM_DEADLINE - Date.now()
  if (remaining < 3000) {
    out(`FAIL ${name}: not run, program time budget (${PROGRAM_BUDGET_MS / 1000} s) exhausted`)
    return
  }
  const budget = Math.min(SCENARIO_MAIN_MS, remaining - 2000)
  const ctx = { deadline: Date.now() + budget, cleanups: [], stage: 'start', aborted: false }
  const started = Date.now()
  log(`--- ${name}`)
  let timer
  try {
    const result = await Promise.race([
      scenarios[name](ctx),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new ScenarioTimeout(`timed out after ${budget} ms (stage: ${ctx.stage})`)), budget + 500)
      }),
    ])
    if (result && result.skip) out(`SKIP ${name}: ${oneLine(result.skip)}`)
    else out(`PASS ${name}`)
  } catch (e) {
    log(`${name} failed:`, e && e.stack ? e.stack : e)
    out(`FAIL ${name}: ${oneLine(e)}`)
  } finally {
    clearTimeout(timer)
    ctx.aborted = true
    await Promise.all(ctx.cleanups.map(fn => fn()))
    log(`--- ${name} took ${Date.now() - started} ms`)
  }
}

async function main() {
  for (const name of SCENARIOS) {
    await runScenario(name)
  }
}

async function shutdown() {
  await Promise.all([...allClients].map(c => disconnect(c)))
}

// A last-resort guard: never run past 2 minutes.
const hardStop = setTimeout(() => {
  log('hard deadline reached, exiting')
  process.exit(0)
}, 118 * 1000)
hardStop.unref()

process.on('unhandledRejection', e => log('unhandled rejection:', e && e.stack ? e.stack : e))

main()
  .catch(e => log('runner error:', e && e.stack ? e.stack : e))
  .then(shutdown)
  .catch(e => log('shutdown error:', e && e.stack ? e.stack : e))
  .finally(() => {
    log(`total ${Date.now() - PROGRAM_START} ms`)
    // Flush stdout, then exit even if some socket lingers.
    process.stdout.write('', () => process.exit(0))
  })
