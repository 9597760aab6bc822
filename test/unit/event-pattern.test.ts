import { describe, expect, it } from '@jest/globals';
import { InvalidEventPatternError, matchesPattern, testEventPattern, validatePattern } from '../../src/lib/events/pattern.js';

// Cases follow the examples in the AWS documentation "Content filtering in Amazon EventBridge event patterns"
// and "Amazon EventBridge event patterns"; each operator has matching and non-matching events.
const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated', 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.123', location: 'eu-west', flag: true, nothing: null, tags: ['a', 'b'], items: [{ sku: 'x', qty: 1 }, { sku: 'y', qty: 7 }] },
};
const e = (detail: Record<string, unknown>) => ({ ...ec2, detail: { ...ec2.detail, ...detail } });

type Case = [string, Record<string, unknown>, unknown, boolean];

const cases: Case[] = [
  // exact values
  ['string equals', { source: ['aws.ec2'] }, ec2, true],
  ['string differs', { source: ['aws.s3'] }, ec2, false],
  ['OR within a leaf array', { source: ['aws.s3', 'aws.ec2'] }, ec2, true],
  ['AND across fields', { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'] }, ec2, true],
  ['AND across fields, one fails', { source: ['aws.ec2'], 'detail-type': ['Other'] }, ec2, false],
  ['nested field', { detail: { state: ['terminated'] } }, ec2, true],
  ['nested field differs', { detail: { state: ['running'] } }, ec2, false],
  ['exact number', { detail: { 'c-count': [5] } }, ec2, true],
  ['number by value: 3.0e2 vs 300', { detail: { n: [300] } }, e({ n: 3.0e2 }), true],
  ['number vs numeric string', { detail: { n: [300] } }, e({ n: '300' }), false],
  ['string vs number', { detail: { n: ['300'] } }, e({ n: 300 }), false],
  ['null matches null', { detail: { nothing: [null] } }, ec2, true],
  ['null does not match a missing field', { detail: { absent: [null] } }, ec2, false],
  ['boolean true', { detail: { flag: [true] } }, ec2, true],
  ['boolean false vs true', { detail: { flag: [false] } }, ec2, false],
  ['case matters', { detail: { state: ['Terminated'] } }, ec2, false],
  ['missing field never matches a value', { detail: { missing: ['x'] } }, ec2, false],
  ['pattern deeper than the event', { detail: { state: { name: ['terminated'] } } }, ec2, false],
  // arrays in events
  ['array in event: any element', { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] }, ec2, true],
  ['array in event: second element', { detail: { tags: ['b'] } }, ec2, true],
  ['array in event: no element', { detail: { tags: ['c'] } }, ec2, false],
  ['array of objects: field of any element', { detail: { items: { sku: ['y'] } } }, ec2, true],
  ['array of objects: no element', { detail: { items: { sku: ['z'] } } }, ec2, false],
  // prefix / suffix / equals-ignore-case / wildcard
  ['prefix', { time: [{ prefix: '2017-12-22' }] }, ec2, true],
  ['prefix no', { time: [{ prefix: '2018' }] }, ec2, false],
  ['prefix equals-ignore-case', { detail: { state: [{ prefix: { 'equals-ignore-case': 'TERM' } }] } }, ec2, true],
  ['prefix is case-sensitive', { detail: { state: [{ prefix: 'TERM' }] } }, ec2, false],
  ['suffix', { detail: { 'instance-id': [{ suffix: 'def0' }] } }, ec2, true],
  ['suffix no', { detail: { 'instance-id': [{ suffix: '.png' }] } }, ec2, false],
  ['suffix equals-ignore-case', { detail: { 'instance-id': [{ suffix: { 'equals-ignore-case': 'DEF0' } }] } }, ec2, true],
  ['prefix on a number does not match', { detail: { 'c-count': [{ prefix: '5' }] } }, ec2, false],
  ['equals-ignore-case', { detail: { state: [{ 'equals-ignore-case': 'TERMINATED' }] } }, ec2, true],
  ['equals-ignore-case no', { detail: { state: [{ 'equals-ignore-case': 'running' }] } }, ec2, false],
  ['wildcard', { resources: [{ wildcard: 'arn:aws:ec2:*:*:instance/*' }] }, ec2, true],
  ['wildcard anchored', { detail: { state: [{ wildcard: 'term*d' }] } }, ec2, true],
  ['wildcard no', { detail: { state: [{ wildcard: '*running*' }] } }, ec2, false],
  ['wildcard escaped star is literal', { detail: { s: [{ wildcard: 'a\\*b' }] } }, e({ s: 'a*b' }), true],
  ['wildcard escaped star does not match other chars', { detail: { s: [{ wildcard: 'a\\*b' }] } }, e({ s: 'axb' }), false],
  // anything-but
  ['anything-but string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2, true],
  ['anything-but string equal', { detail: { state: [{ 'anything-but': 'terminated' }] } }, ec2, false],
  ['anything-but number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2, true],
  ['anything-but number equal', { detail: { 'c-count': [{ 'anything-but': 5 }] } }, ec2, false],
  ['anything-but list', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, ec2, true],
  ['anything-but list contains', { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } }, ec2, false],
  ['anything-but does not match a missing field', { detail: { absent: [{ 'anything-but': 'x' }] } }, ec2, false],
  ['anything-but prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, ec2, true],
  ['anything-but prefix no', { detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, ec2, false],
  ['anything-but suffix', { detail: { 'instance-id': [{ 'anything-but': { suffix: '.txt' } }] } }, ec2, true],
  ['anything-but suffix no', { detail: { 'instance-id': [{ 'anything-but': { suffix: 'def0' } }] } }, ec2, false],
  ['anything-but equals-ignore-case', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } }, ec2, true],
  ['anything-but equals-ignore-case no', { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['RUNNING', 'TERMINATED'] } }] } }, ec2, false],
  ['anything-but wildcard', { detail: { state: [{ 'anything-but': { wildcard: 'run*' } }] } }, ec2, true],
  ['anything-but wildcard no', { detail: { state: [{ 'anything-but': { wildcard: ['run*', 'term*'] } }] } }, ec2, false],
  ['anything-but on an array: an element not in the list', { detail: { tags: [{ 'anything-but': 'a' }] } }, ec2, true],
  // numeric
  ['numeric >', { detail: { 'c-count': [{ numeric: ['>', 0] }] } }, ec2, true],
  ['numeric range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, ec2, true],
  ['numeric range upper bound excluded', { detail: { 'c-count': [{ numeric: ['>', 0, '<', 5] }] } }, ec2, false],
  ['numeric =', { detail: { 'd-count': [{ numeric: ['=', 3] }] } }, ec2, true],
  ['numeric = by value', { detail: { 'd-count': [{ numeric: ['=', 3.0e0] }] } }, ec2, true],
  ['numeric <', { detail: { 'x-limit': [{ numeric: ['<', 301.8] }] } }, ec2, false],
  ['numeric >=', { detail: { 'x-limit': [{ numeric: ['>=', 301.8] }] } }, ec2, true],
  ['numeric on a string', { detail: { state: [{ numeric: ['>', 0] }] } }, ec2, false],
  ['numeric on a missing field', { detail: { absent: [{ numeric: ['>', 0] }] } }, ec2, false],
  // exists
  ['exists true', { detail: { state: [{ exists: true }] } }, ec2, true],
  ['exists true on a missing field', { detail: { absent: [{ exists: true }] } }, ec2, false],
  ['exists false on a missing field', { detail: { absent: [{ exists: false }] } }, ec2, true],
  ['exists false on a present field', { detail: { state: [{ exists: false }] } }, ec2, false],
  ['exists true on null', { detail: { nothing: [{ exists: true }] } }, ec2, true],
  ['exists false when the parent is missing', { nope: { deeper: [{ exists: false }] } }, ec2, true],
  // cidr
  ['cidr IPv4', { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2, true],
  ['cidr IPv4 outside', { detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, ec2, false],
  ['cidr IPv6', { detail: { ip: [{ cidr: '2001:db8::/32' }] } }, e({ ip: '2001:db8:1234::1' }), true],
  ['cidr IPv6 outside', { detail: { ip: [{ cidr: '2001:db8::/32' }] } }, e({ ip: '2001:db9::1' }), false],
  ['cidr version mismatch', { detail: { 'source-ip': [{ cidr: '2001:db8::/32' }] } }, ec2, false],
  ['cidr not an IP', { detail: { state: [{ cidr: '10.0.0.0/8' }] } }, ec2, false],
  // $or
  ['$or top level', { $or: [{ source: ['aws.s3'] }, { 'detail-type': ['EC2 Instance State-change Notification'] }] }, ec2, true],
  ['$or no branch', { $or: [{ source: ['aws.s3'] }, { region: ['eu-west-1'] }] }, ec2, false],
  ['$or nested, AND with another field', { source: ['aws.ec2'], detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['<', 5] }] }] } }, ec2, true],
  ['$or nested, other field fails', { source: ['aws.s3'], detail: { $or: [{ 'c-count': [5] }, { 'd-count': [3] }] } }, ec2, false],
  // mixed matchers in one array
  ['mixed exact and operator', { detail: { state: ['running', { prefix: 'term' }] } }, ec2, true],
  // the fulfillment flow's own routing
  ['route 3P on detail.seller.type', { 'detail-type': ['SellerDetermined'], detail: { seller: { type: ['3P'] } } }, { 'detail-type': 'SellerDetermined', detail: { seller: { type: '3P' } } }, true],
  ['route 3P: a 1P order', { 'detail-type': ['SellerDetermined'], detail: { seller: { type: ['3P'] } } }, { 'detail-type': 'SellerDetermined', detail: { seller: { type: '1P' } } }, false],
];

describe('matchesPattern', () => {
  it.each(cases)('%s', (_name, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('testEventPattern takes JSON text like aws events test-event-pattern', () => {
    expect(testEventPattern('{"source":["aws.ec2"]}', JSON.stringify(ec2))).toBe(true);
    expect(testEventPattern('{"source":["aws.s3"]}', ec2)).toBe(false);
  });
});

const invalid: Array<[string, unknown, RegExp]> = [
  ['not an object', ['source'], /must be a JSON object/],
  ['empty', {}, /must not be empty/],
  ['leaf not an array', { source: 'aws.ec2' }, /must be an array or an object/],
  ['empty array', { source: [] }, /empty arrays are not allowed/],
  ['unknown operator', { source: [{ contains: 'x' }] }, /unrecognized match type "contains"/],
  ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }, /exactly one operator/],
  ['prefix not a string', { source: [{ prefix: 5 }] }, /"prefix" expects a string/],
  ['exists not boolean', { source: [{ exists: 'yes' }] }, /"exists" must be true or false/],
  ['numeric odd length', { n: [{ numeric: ['>', 0, '<'] }] }, /"numeric" expects an array/],
  ['numeric unknown comparison', { n: [{ numeric: ['!=', 0] }] }, /unknown comparison/],
  ['numeric bound not a number', { n: [{ numeric: ['>', '0'] }] }, /needs a number/],
  ['numeric two lower bounds', { n: [{ numeric: ['>', 0, '>=', 1] }] }, /two lower bounds/],
  ['numeric = with a range', { n: [{ numeric: ['=', 0, '<', 1] }] }, /cannot be combined/],
  ['cidr malformed', { ip: [{ cidr: '10.0.0.0/33' }] }, /not a valid IPv4 or IPv6 prefix/],
  ['cidr not an address', { ip: [{ cidr: 'home/8' }] }, /not a valid/],
  ['wildcard with consecutive stars', { s: [{ wildcard: 'a**b' }] }, /consecutive wildcard/],
  ['anything-but nested object value', { s: [{ 'anything-but': { prefix: ['a'] } }] }, /"anything-but" "prefix" expects a string/],
  ['anything-but empty list', { s: [{ 'anything-but': [] }] }, /must contain only strings or numbers/],
  ['anything-but unknown', { s: [{ 'anything-but': { numeric: ['>', 1] } }] }, /does not support "numeric"/],
  ['$or with one branch', { $or: [{ source: ['a'] }] }, /"\$or" must be an array of at least two/],
  ['$or not an array', { $or: { source: ['a'] } }, /"\$or" must be an array/],
  ['nested empty object', { detail: {} }, /nested pattern must not be empty/],
  ['object in match array', { source: [['nested']] }, /match values must be/],
  ['invalid JSON text', '{"source": [', /not valid JSON/],
];

describe('validatePattern refuses what PutRule refuses', () => {
  it.each(invalid)('%s', (_name, pattern, reason) => {
    expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
    expect(() => validatePattern(pattern)).toThrow(reason);
  });

  it('names the field in the message', () => {
    expect(() => validatePattern({ detail: { amount: [{ numeric: ['>'] }] } })).toThrow(/at detail\.amount/);
  });
});
