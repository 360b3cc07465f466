/** The action types this worker can execute: built-in schemas plus the executors shipped so far. */
import { createEmailSendExecutor } from '../../activities/executors/email-send';
import { createHttpRequestExecutor } from '../../activities/executors/http-request';
import { builtInActionTypes, type ActionTypeRegistry } from '../actions/registry';
import type { Mailer, SentMailIndex } from '../mail/mailer';

export function workerActionTypes(mailer: Mailer, sentIndex?: SentMailIndex): ActionTypeRegistry {
  return builtInActionTypes()
    .withExecutor('http.request', createHttpRequestExecutor())
    .withExecutor('email.send', createEmailSendExecutor(mailer, sentIndex));
}
