// The fulfillment API's mapping templates: the AWS deployer uploads these strings to API Gateway, and the
// local API renders the same strings (velocity.ts). The body goes into StartExecution's `input` and
// PutEvents' `Detail` as an escaped JSON string; `.replaceAll("\\'","'")` undoes $util.escapeJavaScript's
// \' escape, which is not valid JSON (orders contain names like O'Brien).
const ESCAPED_BODY = `$util.escapeJavaScript($input.json('$')).replaceAll("\\\\'","'")`;

export function startExecutionTemplate(stateMachineArn: string): string {
  // The order id is the execution name (validated by the request model), which makes StartExecution idempotent per order.
  return [`#set($order = $input.path('$'))`, `{`, `  "input": "${ESCAPED_BODY}",`, `  "name": "$order.orderId",`, `  "stateMachineArn": "${stateMachineArn}"`, `}`].join('\n');
}

export function putEventsTemplate(opts: { eventBusName: string; source: string; detailType: string }): string {
  return [
    `{`,
    `  "Entries": [`,
    `    {`,
    `      "EventBusName": "${opts.eventBusName}",`,
    `      "Source": "${opts.source}",`,
    `      "DetailType": "${opts.detailType}",`,
    `      "Detail": "${ESCAPED_BODY}"`,
    `    }`,
    `  ]`,
    `}`,
  ].join('\n');
}

/** StartExecution's `{executionArn, startDate}` -> the API's answer; the order id is the execution name. */
export function startExecutionResponseTemplate(): string {
  return [`#set($r = $input.path('$'))`, `#set($arn = $r.executionArn.split(":"))`, `{"orderId": "$arn[7]", "executionArn": "$r.executionArn", "startDate": $r.startDate}`].join('\n');
}

/** PutEvents' `{FailedEntryCount, Entries: [{EventId}]}` -> the API's answer (the response template cannot see the request body). */
export function putEventsResponseTemplate(): string {
  return [`#set($r = $input.path('$'))`, `{"eventId": "$r.Entries[0].EventId", "failedEntryCount": $r.FailedEntryCount}`].join('\n');
}

/** An AWS error body `{"__type", "message"}` -> `{"message", "type"}` with the short error name. */
export function errorResponseTemplate(): string {
  return [
    `#set($e = $input.path('$'))`,
    `#set($type = $e.__type.replaceAll("^.*#", ""))`,
    `{"message": "$util.escapeJavaScript($e.message).replaceAll("\\\\'","'")", "type": "$type"}`,
  ].join('\n');
}
