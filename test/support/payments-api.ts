/** The dev stack's payments API serves the tests too. */
export { startPaymentsApi, type PaymentsApi } from '../../src/dev/payments-api';
