import { describe, expect, it } from 'vitest';
import { replySubject, threadKey } from './ids.js';
import { MalformedMail, messageIds, newText, parseMail } from './mime.js';

describe('newText', () => {
  it('cuts the quoted history and the signature of a reply', () => {
    expect(newText('Yes, do it.\n\nOn Mon, 1 Jun 2025, Bot <b@x> wrote:\n> Shall I?\n')).toBe('Yes, do it.');
    expect(newText('Yes.\nOn Mon, 1 Jun 2025 at 10:00, Bot\n<b@x> wrote:\n> old')).toBe('Yes.');
    expect(newText('Fine\n-- \nAnn, Example Ltd')).toBe('Fine');
    expect(newText('ok\n\n-----Original Message-----\nFrom: x')).toBe('ok');
    expect(newText('ok\n\nFrom: Bot\nSent: Monday\nTo: Ann\n\nold')).toBe('ok');
    expect(newText('> q1\nanswer 1\n> q2\nanswer 2')).toBe('answer 1\nanswer 2');
  });
});

describe('parseMail', () => {
  it('refuses a mail without a From address', async () => {
    await expect(parseMail(Buffer.from('Subject: x\r\n\r\nbody'))).rejects.toBeInstanceOf(MalformedMail);
  });

  it('reads threading headers and converts HTML to text', async () => {
    const m = await parseMail(
      Buffer.from(
        'From: Ann <ANN@example.test>\r\nMessage-ID: <a@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <r@x> <b@x>\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>there</b></p>',
      ),
    );
    expect(m).toMatchObject({
      messageId: '<a@x>',
      inReplyTo: '<b@x>',
      references: ['<r@x>', '<b@x>'],
      text: 'Hello there',
    });
    expect(m.from).toEqual({ address: 'ann@example.test', name: 'Ann' });
    expect(threadKey(m, 'f')).toBe(
      threadKey({ references: ['<r@x>'], inReplyTo: null, messageId: null }, 'g'),
    );
  });

  it('normalises ids and subjects', () => {
    expect(messageIds('<a@x>  <b@y>')).toEqual(['<a@x>', '<b@y>']);
    expect(messageIds('bare@x')).toEqual(['<bare@x>']);
    expect(replySubject('Re: RE: Plans')).toBe('Re: Plans');
    expect(replySubject('')).toBe('Re: (no subject)');
  });
});
