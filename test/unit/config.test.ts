import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/lib/config/schema.js';
import { UserError } from '../../src/lib/errors.js';

describe('fulfill.config.json', () => {
  it('fills defaults', () => {
    expect(parseConfig('{"app":"shop"}')).toMatchObject({
      app: 'shop',
      stage: 'dev',
      mode: 'orchestration',
      target: 'local',
      region: 'eu-central-1',
      functions: { timeoutSeconds: 10, memoryMb: 256 },
    });
  });

  it.each([
    ['{"app":"Shop"}', /fulfill\.config\.json: "app" must be 1-24 lowercase letters.*\(got "Shop"\)/],
    ['{"app":"shop","stage":"Prod 1"}', /"stage" must be 1-16 lowercase letters, digits or dashes \(got "Prod 1"\)/],
    ['{"app":"shop","mode":"choreography"}', /"mode" .*(orchestration|events)/],
    ['{"app":"shop","region":"europe"}', /"region" must be an AWS region such as "eu-central-1"/],
    ['{"app":"shop","functions":{"timeoutSeconds":0}}', /"functions\.timeoutSeconds"/],
    ['{"app":"shop","api":{"corsOrigins":["localhost"]}}', /"api\.corsOrigins\[0\]" must be an origin/],
    ['{"app":"shop","extra":1}', /Unrecognized key/],
    ['{"stage":"dev"}', /"app"/],
    ['{"app":', /not valid JSON/],
  ])('%s is refused with the field named', (text, message) => {
    expect(() => parseConfig(text)).toThrow(UserError);
    expect(() => parseConfig(text)).toThrow(message);
  });
});
