// A full disk at the filesystem boundary, for when the test cannot mount a small tmpfs (not root): loaded with
// `node --require` into the CLI process, it fails writes under FULL_DISK_ROOT with ENOSPC, as the kernel does,
// once FULL_DISK_BYTES have been written there. Only the write calls the lake uses are covered.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(process.env.FULL_DISK_ROOT ?? '/nonexistent');
const limit = Number(process.env.FULL_DISK_BYTES ?? '0');
let used = 0;
const fdPaths = new Map();

const under = (p) => typeof p === 'string' && path.resolve(p).startsWith(`${root}${path.sep}`);
const pathOf = (target) => (typeof target === 'number' ? fdPaths.get(target) : target);
const size = (data) => (typeof data === 'string' ? Buffer.byteLength(data) : (data?.byteLength ?? 0));

function charge(target, data) {
  if (!under(pathOf(target))) return;
  used += size(data);
  if (used > limit) {
    const error = new Error(`ENOSPC: no space left on device, write '${pathOf(target)}'`);
    error.code = 'ENOSPC';
    error.errno = -28;
    error.syscall = 'write';
    throw error;
  }
}

const { openSync, closeSync, writeSync, appendFileSync, writeFileSync } = fs;
fs.openSync = (p, ...rest) => {
  const fd = openSync(p, ...rest);
  if (typeof p === 'string') fdPaths.set(fd, p);
  return fd;
};
fs.closeSync = (fd) => {
  fdPaths.delete(fd);
  return closeSync(fd);
};
fs.writeSync = (fd, data, ...rest) => {
  charge(fd, data);
  return writeSync(fd, data, ...rest);
};
fs.appendFileSync = (target, data, ...rest) => {
  charge(target, data);
  return appendFileSync(target, data, ...rest);
};
fs.writeFileSync = (target, data, ...rest) => {
  charge(target, data);
  return writeFileSync(target, data, ...rest);
};
