import { parse } from '@cdktf/hcl2json';
import fs from 'node:fs';
for (const f of process.argv.slice(2)) {
  try { console.log(f, JSON.stringify(await parse(f, fs.readFileSync(f,'utf8')), null, 1)); } catch (e) { console.log(f, 'ERR', String(e).slice(0,300)); }
}
