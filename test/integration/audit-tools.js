// Helpers of the audit-log tests: the pipit binary and the sqlite3 shell.
import { execFile } from 'node:child_process';
import { PIPIT_BIN } from './harness.js';

// Runs the pipit binary; resolves to {code, stdout, stderr} whatever the code.
export function pipit(...args) {
  return new Promise((resolve) => {
    execFile(PIPIT_BIN, args, { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

// Runs SQL on a database file with the sqlite3 shell; resolves to stdout.
export function sqlite(db, sql) {
  return new Promise((resolve, reject) => {
    execFile('sqlite3', [db, sql], { timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`sqlite3 failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

