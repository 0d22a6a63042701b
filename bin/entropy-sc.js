#!/usr/bin/env node
// The `entropy-sc` command. This process supervises: it runs the command in a child process (the
// TypeScript sources through tsx's loader) and stays idle. Training computes a whole epoch without
// returning to Node's event loop, where signal handlers run, so the child keeps Node's default
// signal actions and dies at once; the supervisor then removes the child's temporary files, prints
// one line and exits with 128 + the signal's number. The child in turn watches its parent from a
// worker thread and stops when the parent is gone (a killed npx or shell would orphan it).
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const SUPERVISOR_ENV = 'ENTROPY_SC_SUPERVISOR'; // src/fs/supervisor-channel.ts
const args = process.argv.slice(2);

if (process.env[SUPERVISOR_ENV]) await runChild(Number(process.env[SUPERVISOR_ENV]));
else supervise();

async function runChild(supervisor) {
  Error.stackTraceLimit = 50; // for the report of an unexpected error
  watchParent(supervisor);
  process.channel?.unref();
  const { register } = await import('tsx/esm/api');
  register();
  const { main, reportError } = await import('../cli/main.ts');
  // Before any library's handlers (tfjs-wasm's rethrows, printing a 36 KB line of its source).
  const fail = (error) => process.exit(reportError(error, args));
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  process.exitCode = await main(args);
}

/** Sends SIGTERM to this process once its parent is no longer `parent`. */
function watchParent(parent) {
  const source = `const { workerData } = require('node:worker_threads');
    setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGTERM'); }, 250);`;
  new Worker(source, { eval: true, workerData: parent }).unref();
}

/**
 * The service holds large buffers for a moment each (bodies, batches, answers). glibc, after freeing
 * one that it had mapped, raises its threshold for mapping to 32 MiB and keeps later frees below it in
 * its heaps, where they count in the resident memory for long (the memory row of the service bench:
 * peak RSS 1862 MiB against 1024 MiB of budget and 574 idle). A fixed threshold above a batch's
 * largest buffer (4 MiB) gives a maximal request's buffers back at once and keeps reusing a batch's
 * without page faults (128 KiB cost the worker ~5 µs per row with every output). An operator's own
 * setting wins.
 */
function serviceAllocator() {
  return args[0] === 'serve' ? { MALLOC_MMAP_THRESHOLD_: String(4 * 1024 * 1024) } : {};
}

function supervise() {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...serviceAllocator(), ...process.env, [SUPERVISOR_ENV]: String(process.pid) },
  });
  const folders = new Set();
  let checkpoint = false;
  child.on('message', (message) => {
    const m = message?.entropySc;
    if (m?.kind === 'temp-folder') folders.add(m.folder);
    if (m?.kind === 'checkpoint') checkpoint = true;
  });
  let stopping = null;
  let escalation = null;
  const stop = (signal) => {
    if (stopping) return void child.kill('SIGKILL'); // a second signal: no grace
    stopping = signal;
    child.kill(signal);
    // A child that handles the signal itself (serve shuts down gracefully) gets time to finish.
    escalation = setTimeout(() => child.kill('SIGKILL'), 30_000);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && stop('SIGTERM'), 250).unref();
  child.on('error', (error) => {
    process.stderr.write(`entropy-sc: cannot start ${process.execPath}: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    clearTimeout(escalation);
    if (signal === null) return void (process.exitCode = code ?? 1);
    for (const folder of folders) removeTempFiles(folder, child.pid);
    const resume = args[0] === 'train' ? (checkpoint ? '; resume with --resume' : ' before the first checkpoint') : '';
    const by = stopping ?? signal;
    const why =
      stopping || by === 'SIGINT' || by === 'SIGTERM' ? '' : ` by ${by}${by === 'SIGKILL' ? ' (out of memory?)' : ''}`;
    process.stderr.write(`entropy-sc: stopped${why}${resume}\n`);
    process.exitCode = 128 + (constants.signals[by] ?? 0);
  });
}

/** Removes `<file>.tmp-<pid>-<12 hex>` (src/fs/temp-file.ts) of the stopped child in `folder`. */
function removeTempFiles(folder, pid) {
  const pattern = new RegExp(`\\.tmp-${pid}-[0-9a-f]{12}$`);
  let names = [];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) if (pattern.test(name)) rmSync(join(folder, name), { force: true });
}
