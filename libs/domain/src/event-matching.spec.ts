import { endpointWantsMessage, type EndpointFilter, type MessageRouting } from './event-matching';

const endpoint = (filter: Partial<EndpointFilter> = {}): EndpointFilter => ({ disabled: false, ...filter });
const message = (routing: Partial<MessageRouting> = {}): MessageRouting => ({
  eventType: 'invoice.paid',
  ...routing,
});

describe('endpointWantsMessage', () => {
  describe('event types', () => {
    it.each([
      ['no filter (undefined)', undefined, true],
      ['no filter (null)', null, true],
      ['an empty list, read as no filter', [], true],
      ['a filter listing the type', ['invoice.created', 'invoice.paid'], true],
      ['a filter not listing it', ['invoice.created'], false],
      ['a filter differing only in case', ['Invoice.Paid'], false],
      ['a prefix, which is not a wildcard', ['invoice'], false],
    ])('%s → %p', (_name, eventTypes, expected) => {
      expect(endpointWantsMessage(endpoint({ eventTypes }), message())).toBe(expected);
    });
  });

  describe('channels (Svix docs, "Channels filtering rules")', () => {
    it.each([
      ['1. endpoint without channels, message without channels', null, null, true],
      ['1. endpoint without channels, message with channels', null, ['project_1'], true],
      ['1. endpoint with an empty list (read as none), message with channels', [], ['project_1'], true],
      ['2. shared channel', ['project_1', 'group_1'], ['group_1', 'project_2'], true],
      ['2. no shared channel', ['project_1'], ['project_2'], false],
      ['2. channels are case-sensitive', ['project_1'], ['Project_1'], false],
      ['3. endpoint with channels, message without (null)', ['project_1'], null, false],
      ['3. endpoint with channels, message without (undefined)', ['project_1'], undefined, false],
      ['3. endpoint with channels, message with an empty list', ['project_1'], [], false],
    ])('%s → %p', (_name, endpointChannels, messageChannels, expected) => {
      expect(
        endpointWantsMessage(
          endpoint({ channels: endpointChannels }),
          message({ channels: messageChannels }),
        ),
      ).toBe(expected);
    });
  });

  it('requires both filters to pass', () => {
    const both = endpoint({ eventTypes: ['invoice.paid'], channels: ['project_1'] });
    expect(endpointWantsMessage(both, message({ channels: ['project_1'] }))).toBe(true);
    expect(endpointWantsMessage(both, message({ channels: ['project_2'] }))).toBe(false);
    expect(endpointWantsMessage(both, message({ eventType: 'user.created', channels: ['project_1'] }))).toBe(
      false,
    );
  });

  it('sends nothing to a disabled endpoint, whatever the filters', () => {
    expect(endpointWantsMessage(endpoint({ disabled: true }), message())).toBe(false);
    const matching = endpoint({ disabled: true, eventTypes: ['invoice.paid'], channels: ['c'] });
    expect(endpointWantsMessage(matching, message({ channels: ['c'] }))).toBe(false);
  });
});
