/**
 * Temporal's time-skipping test server for tests that wait days of workflow time: the Java build
 * that `temporal-dev.sh install` put in .tools (never downloaded by the SDK). Time stands still
 * until the test sleeps with `env.sleep`, which skips ahead while nothing runs.
 */
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { installedTestServer } from '../../src/dev/test-server';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../src/domain/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const INDEXED_TYPES: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/** The server with Gatehouse's search attributes registered (the test server takes no flags for them). */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const path = installedTestServer();
  let env: TestWorkflowEnvironment | undefined;
  for (let attempt = 1; !env; attempt++) {
    try {
      env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    } catch (err) {
      // The SDK gives the JVM 5 s to answer; a busy 2-core machine can miss that once.
      if (attempt >= 3) throw err;
    }
  }
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of ALL_SEARCH_ATTRIBUTE_KEYS) {
    const type = INDEXED_TYPES[key.type];
    if (type === undefined) throw new Error(`no indexed type for search attribute ${key.name} (${key.type})`);
    searchAttributes[key.name] = type;
  }
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
  return env;
}
