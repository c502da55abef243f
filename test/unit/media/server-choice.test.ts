import { describe, expect, it } from 'vitest';
import { chooseServer, type ServerLoad } from '../../../src/media/server-choice';

const server = (name: string, o: Partial<ServerLoad> = {}) => ({ name, open: true, legs: 0, settingUp: 0, maxSetups: 40, ...o });

describe('the media server for a new call', () => {
  it('the open server holding the fewest legs; none open: null', () => {
    expect(chooseServer([server('a', { legs: 6 }), server('b', { legs: 4 }), server('c', { legs: 2, open: false })])).toMatchObject({ name: 'b' });
    expect(chooseServer([server('a', { open: false })])).toBeNull();
    expect(chooseServer([])).toBeNull();
  });

  it('a server setting up max_setups legs is passed over, even when it holds the fewest', () => {
    const choice = chooseServer([server('a', { legs: 2, settingUp: 40 }), server('b', { legs: 30, settingUp: 39 })]);
    expect(choice).toMatchObject({ name: 'b' });
  });

  it("every open server at its max_setups: 'busy' (a closed one does not count)", () => {
    expect(chooseServer([server('a', { settingUp: 40 }), server('b', { settingUp: 2, maxSetups: 2 }), server('c', { open: false })])).toBe('busy');
  });

  it('max_setups 0: no limit', () => {
    expect(chooseServer([server('a', { settingUp: 10_000, maxSetups: 0 })])).toMatchObject({ name: 'a' });
  });
});
