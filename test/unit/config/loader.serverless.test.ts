// config/: the serverless section (EMR Serverless application) of compute "serverless".
import { ConfigError, type Env, resolveConfig as resolveAll } from '../../../config/index.js';
import { OPERATOR_CIDR } from '../../helpers/stacks.js';

const REQUIRED = { operatorCidr: OPERATOR_CIDR, publicKeyPath: '~/.ssh/fruits.pub' };
const resolve = (file: Record<string, unknown> = {}, env: Env = {}) => resolveAll({ file: { ...REQUIRED, ...file }, env });

test('defaults: a small application that stops after 5 idle minutes, no warm capacity, no image yet', () => {
  const c = resolve({ compute: 'serverless' });
  expect(c.serverless).toEqual({ maxVcpu: 16, maxMemoryGb: 64, idleMinutes: 5, preInitializedExecutors: 0 });
});

test('the file and the environment set it', () => {
  const c = resolve({ compute: 'serverless', serverless: { maxVcpu: 8, preInitializedExecutors: 1 } }, { FRUITS_SERVERLESS_IMAGE_TAG: 'fruits-0123abcd', FRUITS_SERVERLESS_IDLE_MINUTES: '2' });
  expect(c.serverless).toMatchObject({ maxVcpu: 8, preInitializedExecutors: 1, imageTag: 'fruits-0123abcd', idleMinutes: 2 });
});

test.each([
  [{ serverless: { maxVcpu: 0 } }, /"serverless.maxVcpu" in fruits.config.json/],
  [{ serverless: { idleMinutes: 0 } }, /"serverless.idleMinutes" in fruits.config.json/],
  [{ serverless: { warmPool: 1 } }, /serverless.*warmPool/],
])('%j is refused in one line', (file, message) => {
  try {
    resolve({ compute: 'serverless', ...file });
    throw new Error('expected a ConfigError');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toContain('\n');
    expect((e as Error).message).toMatch(message);
  }
});
