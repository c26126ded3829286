import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processAlive } from '../../local/process-alive';

describe('processAlive', () => {
  it('is true for this process and a running child, false for an exited pid', async () => {
    expect(processAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      expect(processAlive(child.pid ?? 0)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(processAlive(child.pid ?? 0)).toBe(false);
    expect(processAlive(spawnSync(process.execPath, ['-e', '0']).pid)).toBe(false);
  });

  it('counts a killed child its parent has not reaped yet (a zombie) as gone', async () => {
    // The shell starts `sleep` in the background, prints its pid, then becomes `sleep` itself (exec), which never
    // reaps children: once killed, the background sleep stays a zombie until this parent exits.
    const parent = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((r) => parent.stdout?.once('data', (d: Buffer) => r(d.toString()))));
      expect(processAlive(pid)).toBe(true);
      // The pid is printed before the shell execs: until it is `sleep`, the shell itself would reap the child.
      for (let i = 0; i < 250 && readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() !== 'sleep'; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      process.kill(pid, 'SIGKILL');
      let state = '';
      for (let i = 0; i < 100 && state !== 'Z'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      }
      expect(state).toBe('Z');
      expect(processAlive(pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
