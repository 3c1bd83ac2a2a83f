import { describe, expect, it } from 'vitest';
import { allowedSender, authenticated, parseAuthResults, screen, type GuardOptions } from './guard.js';
import { parseMail } from './mime.js';

const OPTS: GuardOptions = {
  ourAddress: 'agent@example.test',
  allowedSenders: ['ann@example.test', '@team.test'],
  authservId: 'mx.google.com',
  requireAuthentication: true,
  subjectPrefix: undefined,
  isOurMessageId: (id) => id === '<af.1.0.salt@example.test>',
};

const mail = (headers: string[], from = 'Ann <ann@example.test>', body = 'hi') =>
  parseMail(
    Buffer.from(
      [...headers, `From: ${from}`, 'Subject: s', 'Message-ID: <m1@example.test>', '', body, ''].join('\r\n'),
    ),
  );

describe('screen', () => {
  it('accepts an allowed sender that the pinned server vouches for (dmarc, aligned dkim or spf)', async () => {
    for (const ar of [
      'mx.google.com; dmarc=pass (p=NONE) header.from=example.test',
      'mx.google.com; dkim=pass header.i=@mail.example.test header.s=s1; spf=fail',
      'mx.google.com; spf=pass (google.com: domain of ann@example.test) smtp.mailfrom=ann@example.test',
    ])
      expect(screen(await mail([`Authentication-Results: ${ar}`]), OPTS)).toEqual({ ok: true });
  });

  it('trusts only the topmost header of the pinned server, not one the sender added below it', async () => {
    const m = await mail([
      'Authentication-Results: mx.google.com; dmarc=fail header.from=example.test',
      'Authentication-Results: mx.google.com; dmarc=pass header.from=example.test',
    ]);
    expect(screen(m, OPTS)).toMatchObject({ ok: false, reason: expect.stringContaining('did not vouch') });
  });

  it('rejects a DKIM pass for an unaligned domain and a header from another server', async () => {
    expect(
      authenticated(
        await mail(['Authentication-Results: mx.google.com; dkim=pass header.d=evil.test']),
        'mx.google.com',
      ),
    ).toContain('did not vouch');
    expect(
      authenticated(await mail(['Authentication-Results: mx.evil.test; dmarc=pass']), 'mx.google.com'),
    ).toContain('no Authentication-Results header from mx.google.com');
  });

  it('ignores loops: auto-replies, lists, bounces, reports, our own mail and address', async () => {
    const pass = 'Authentication-Results: mx.google.com; dmarc=pass';
    const cases: Array<[string[], string, RegExp]> = [
      [['Auto-Submitted: auto-generated'], 'ann@example.test', /Auto-Submitted/],
      [['Precedence: list'], 'ann@example.test', /Precedence/],
      [['List-Unsubscribe: <mailto:x@y>'], 'ann@example.test', /List-Unsubscribe/],
      [['Return-Path: <MAILER-DAEMON@x.test>'], 'ann@example.test', /MAILER-DAEMON/],
      [[], 'MAILER-DAEMON@example.test', /bounce/],
      [[], 'agent@example.test', /own address/],
    ];
    for (const [headers, from, why] of cases) {
      const v = screen(await mail([pass, ...headers], from), { ...OPTS, allowedSenders: [from] });
      expect(v).toMatchObject({ ok: false, reason: expect.stringMatching(why) });
    }
    expect(screen(await mail([pass, 'Auto-Submitted: no']), OPTS)).toEqual({ ok: true });
  });

  it('needs the subject prefix when one is set; "Re:" in front of it is fine', async () => {
    const pass = 'Authentication-Results: mx.google.com; dmarc=pass';
    const opts = { ...OPTS, subjectPrefix: '[agent]' };
    const withSubject = (s: string) =>
      parseMail(Buffer.from(`${pass}\r\nFrom: ann@example.test\r\nSubject: ${s}\r\n\r\nhi\r\n`));
    expect(screen(await withSubject('[agent] do it'), opts)).toEqual({ ok: true });
    expect(screen(await withSubject('Re: [agent] do it'), opts)).toEqual({ ok: true });
    expect(screen(await withSubject('lunch?'), opts)).toMatchObject({ ok: false, quiet: true });
  });

  it('matches addresses and whole domains, case-insensitively', () => {
    expect(allowedSender('Ann@Example.test', ['ann@example.test'])).toBe(true);
    expect(allowedSender('bob@team.test', ['@team.test'])).toBe(true);
    expect(allowedSender('bob@evilteam.test', ['@team.test'])).toBe(false);
  });

  it('parses Authentication-Results leniently', () => {
    expect(parseAuthResults('mx.google.com 1; (comment) dkim=pass (good) header.d="a.test"')).toEqual({
      authservId: 'mx.google.com',
      results: [{ method: 'dkim', result: 'pass', props: new Map([['header.d', 'a.test']]) }],
    });
  });
});
