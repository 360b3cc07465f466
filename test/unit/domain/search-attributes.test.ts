import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SearchAttributeType } from '@temporalio/common';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../../src/domain/search-attributes';

const TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

describe('search attributes', () => {
  it('are registered by temporal-dev.sh exactly as the code defines them', () => {
    const script = readFileSync(resolve(__dirname, '../../../temporal-dev.sh'), 'utf8');
    const registered = [...script.matchAll(/"(Gatehouse[A-Za-z]+=[A-Za-z]+)"/g)].map((m) => m[1]).sort();
    const defined = ALL_SEARCH_ATTRIBUTE_KEYS.map((k) => `${k.name}=${TYPE_NAMES[k.type]}`).sort();
    expect(registered).toEqual(defined);
  });
});
