import { beforeAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../src/codec/codec.js';
import { ProtobufCodec } from '../../src/codec/index.js';
import type { MessageType } from '../../src/schema/types.js';
import { catchError, messageType, person } from '../fixtures/schema/codec-suite.js';

const proto = new ProtobufCodec();
let Person: MessageType;

beforeAll(async () => {
  Person = await messageType('Person');
});

describe('ProtobufCodec', () => {
  it('writes what protobufjs reads, enums by number and int64 exact', () => {
    const bytes = proto.encode(person, Person);
    const read = Person.proto.toObject(Person.proto.decode(bytes), { enums: String, longs: String });
    expect(read).toMatchObject({
      big: '9007199254740993',
      ubig: '18446744073709551615',
      status: 'ACTIVE',
      history: ['UNKNOWN', 'BANNED'],
    });
    expect(read.flags).toEqual({ true: 'yes', false: 'no' });
  });

  it('reads what protobufjs writes', () => {
    const message = Person.proto.fromObject({
      name: 'a',
      status: 2,
      big: '-9007199254740993',
      labels: { '42': 'x' },
      avatar: [1, 2],
      history: [1],
    });
    expect(proto.decode(Person.proto.encode(message).finish(), Person)).toEqual({
      name: 'a',
      status: 'BANNED',
      big: -9007199254740993n,
      labels: { '42': 'x' },
      avatar: new Uint8Array([1, 2]),
      history: ['ACTIVE'],
    });
  });

  it('keeps an unknown enum number', () => {
    const bytes = Person.proto.encode(Person.proto.fromObject({ status: 9 })).finish();
    expect(proto.decode(bytes, Person)).toEqual({ status: 9 });
  });

  it('needs a message type', () => {
    const error = catchError(() => proto.decode(new Uint8Array([8, 1])));
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toBe('the proto codec needs a message type');
    expect(() => proto.encode({ a: 1 })).toThrow('the proto codec needs a message type');
  });

  it('reports a malformed body', () => {
    expect(() => proto.decode(new Uint8Array([0x0a, 0xff, 0xff]), Person)).toThrow(
      /^malformed protobuf body for codec.Person: /,
    );
  });

  it('encodes an empty message to no bytes', async () => {
    expect(proto.encode({}, await messageType('Empty'))).toHaveLength(0);
  });
});
