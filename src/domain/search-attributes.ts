/**
 * Custom search attributes operators filter on in the Web UI (`GatehouseStatus = "awaiting_approval"`).
 * Plain JSON and never encrypted, so they carry no personal data: ids and codes only.
 * temporal-dev.sh registers the same names; a test keeps the two lists equal.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SearchAttributes = {
  status: defineSearchAttributeKey('GatehouseStatus', SearchAttributeType.KEYWORD),
  actionType: defineSearchAttributeKey('GatehouseActionType', SearchAttributeType.KEYWORD),
  risk: defineSearchAttributeKey('GatehouseRisk', SearchAttributeType.KEYWORD),
  reviewers: defineSearchAttributeKey('GatehouseReviewers', SearchAttributeType.KEYWORD_LIST),
  agent: defineSearchAttributeKey('GatehouseAgent', SearchAttributeType.KEYWORD),
  deadline: defineSearchAttributeKey('GatehouseDeadline', SearchAttributeType.DATETIME),
} as const;

export const ALL_SEARCH_ATTRIBUTE_KEYS = Object.values(SearchAttributes);
