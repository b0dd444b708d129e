import { distinctRecipients, MessageRequest, requestFingerprint } from './message-request';

describe('requestFingerprint', () => {
  // Fingerprints are stored with their idempotency keys: a retry after an upgrade must still match.
  it('keeps the fingerprints stored before: the same text for the same request', () => {
    const cases: [MessageRequest, string][] = [
      [
        {
          partnerId: '0B7C4A36-6F0E-4F37-9B8E-2F1D2C3B4A59',
          to: ['User1@Customer.Bench'],
          subject: 'Bench message 1',
          text: 'Hello\nLine two.',
        },
        '224468d5a22713416fe506753fbaac832f9c9fe20ee811f7b66e0cb0a901e2c4',
      ],
      [
        {
          orgId: '1b7c4a36-6f0e-4f37-9b8e-2f1d2c3b4a59',
          to: ['a@x.test', 'B@x.test'],
          cc: ['c@x.test'],
          replyTo: 'R@x.test',
          template: 'alert',
          data: { z: 1, a: { y: [{ q: 1, b: 'é"' }], x: null } },
        },
        '7fc56f3511bb8531c49bbb66ade7fa7e208b9b9fecb2eaca8efb09b92ee74eab',
      ],
      [
        { partnerId: 'p', to: ['a@x.test'], cc: [], subject: 's', text: 't', html: '<p>h</p>' },
        '8319ac87a454341422ff436d025ae6d05274fdbd81f6884d4e7194f93c6bbf38',
      ],
    ];
    for (const [request, fingerprint] of cases) expect(requestFingerprint(request)).toBe(fingerprint);
  });

  it('ignores the case of addresses and ids, the order of data keys and an absent or empty cc; nothing else', () => {
    const base: MessageRequest = { orgId: 'o', to: ['a@x.test'], template: 'alert', data: { a: 1, b: { c: 2, d: 3 } } };
    const same: MessageRequest = { orgId: 'O', to: ['A@X.test'], cc: [], template: 'alert', data: { b: { d: 3, c: 2 }, a: 1 } };
    expect(requestFingerprint(same)).toBe(requestFingerprint(base));
    for (const other of [
      { ...base, to: ['b@x.test'] },
      { ...base, cc: ['a@x.test'] },
      { ...base, data: { a: 1, b: { c: 2, d: 4 } } },
      { ...base, orgId: undefined, partnerId: 'o' },
      { ...base, template: 'report' },
    ]) {
      expect(requestFingerprint(other)).not.toBe(requestFingerprint(base));
    }
  });
});

describe('distinctRecipients', () => {
  it('keeps each mailbox once, in any case, where it was first named: to before cc', () => {
    expect(distinctRecipients(['a@x.test', 'B@x.test', 'A@X.TEST', 'b@x.test'], ['c@x.test', 'a@x.test', 'C@x.test', 'd@x.test'])).toEqual({
      to: ['a@x.test', 'B@x.test'],
      cc: ['c@x.test', 'd@x.test'],
    });
  });

  it('leaves distinct recipients and an absent cc as they are', () => {
    expect(distinctRecipients(['a@x.test', 'a@y.test'])).toEqual({ to: ['a@x.test', 'a@y.test'], cc: [] });
  });
});
