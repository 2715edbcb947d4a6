// The prepared JSON writer (codec/json-writer.ts) against the generic path it replaced,
// normalize(value, type, ENCODE_JSON) + jsonText, in ns per encode on the same values:
//   npm run build && node bench/json-writer.mjs [iterations]
import protobuf from 'protobufjs';
import { writerFor } from '../dist/src/codec/json-writer.js';
import { ENCODE_JSON, normalize } from '../dist/src/codec/typed.js';
import { createMessageType } from '../dist/src/schema/build.js';
import { jsonText } from '../dist/src/shared/values.js';

const n = Number(process.argv[2] ?? 200_000);
const root = protobuf.parse(
  `syntax = "proto3"; package b;
   message User { int64 id = 1; string name = 2; string email = 3; }
   enum State { NEW = 0; PAID = 1; }
   message Item { string sku = 1; int32 qty = 2; double price = 3; }
   message Order { int64 id = 1; User user = 2; repeated Item items = 3; State state = 4; repeated string tags = 5;
                   bool express = 6; string note = 7; }`,
  { keepCase: true },
).root;
root.resolveAll();
const cases = [
  ['User (S5 output)', createMessageType(root.lookupType('b.User')), { id: 7, name: 'Ann', email: 'ann@example.com' }],
  [
    'Order (nested, repeated, enum)',
    createMessageType(root.lookupType('b.Order')),
    {
      id: 9007199254740993n,
      user: { id: 7, name: 'Ann', email: 'ann@example.com' },
      items: [
        { sku: 'x', qty: 1, price: 2.5 },
        { sku: 'y', qty: 2, price: 10 },
        { sku: 'z', qty: 3, price: 0.1 },
      ],
      state: 1,
      tags: ['a', 'b'],
      express: true,
    },
  ],
];
cases.push(['Order, int64 within 2^53', cases[1][1], { ...cases[1][2], id: 12 }]);
const time = (fn) => {
  for (let i = 0; i < n / 10; i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
};
for (const [name, type, value] of cases) {
  const generic = () => jsonText(normalize(value, type, ENCODE_JSON), false);
  const write = writerFor(type);
  if (write(value) !== generic()) throw new Error(`${name}: the writers differ`);
  const g = [],
    p = [];
  for (let round = 0; round < 5; round++) {
    g.push(time(generic));
    p.push(time(() => write(value)));
  }
  const med = (xs) => xs.sort((a, b) => a - b)[2].toFixed(0);
  console.log(`${name}: generic ${med(g)} ns, prepared ${med(p)} ns per encode (median of 5 × ${n})`);
}
