/** The dev stack's ticket API serves the tests too: one implementation of the contract. */
export { startTicketApi, type Ticket, type TicketApi, type TicketComment } from '../../src/dev/ticket-api';
