// The fulfillment API's mapping templates, one source for both targets: the AWS deployer uploads these strings
// to API Gateway and the local API renders the same strings (velocity.ts).
//
// The order travels as a JSON document inside a JSON string (StartExecution's `input`, PutEvents' `Detail`).
// $input.json('$') gives the body as JSON text; $util.escapeJavaScript makes it a string literal, except that it
// writes ' as \' which JSON rejects, so `.replaceAll("\\'","'")` (Java regex: a backslash, then a quote) turns
// every \' back into '. That is safe because escapeJavaScript has already doubled each backslash of the body:
// in `\\\'` (from the two characters \') the regex matches only the last backslash and leaves a valid `\\'`.
const BODY_AS_JSON_STRING = `$util.escapeJavaScript($input.json('$')).replaceAll("\\\\'","'")`;

/** StartExecution's request. The order id names the execution, which makes StartExecution idempotent per order. */
export function startExecutionTemplate(stateMachineArn: string): string {
  return [
    `{`,
    `  "input": "${BODY_AS_JSON_STRING}",`,
    `  "name": "$util.escapeJavaScript($input.path('$.orderId')).replaceAll("\\\\'","'")",`,
    `  "stateMachineArn": "${jsonStringContent(stateMachineArn)}"`,
    `}`,
  ].join('\n');
}

/** PutEvents' request: one OrderPlaced entry whose Detail is the order (the orderId travels inside it). */
export function putEventsTemplate(opts: { eventBusName: string; source: string; detailType: string }): string {
  return [
    `{`,
    `  "Entries": [`,
    `    {`,
    `      "EventBusName": "${jsonStringContent(opts.eventBusName)}",`,
    `      "Source": "${jsonStringContent(opts.source)}",`,
    `      "DetailType": "${jsonStringContent(opts.detailType)}",`,
    `      "Detail": "${BODY_AS_JSON_STRING}"`,
    `    }`,
    `  ]`,
    `}`,
  ].join('\n');
}

/**
 * StartExecution's `{executionArn, startDate}` -> `{orderId, executionArn, startDate}`. In a response template
 * $input is the integration's response; the order id comes back as the execution's name, the ARN's 8th field
 * (arn:aws:states:region:account:execution:stateMachine:name). startDate stays epoch seconds, as AWS sends it.
 */
export function startExecutionResponseTemplate(): string {
  return [
    `#set($arn = $input.path('$.executionArn').split(':'))`,
    `{"orderId": "$arn[7]", "executionArn": $input.json('$.executionArn'), "startDate": $input.json('$.startDate')}`,
  ].join('\n');
}

/**
 * PutEvents' `{FailedEntryCount, Entries: [{EventId} | {ErrorCode, ErrorMessage}]}` -> `{eventId, failedEntryCount}`,
 * with errorCode/errorMessage when the entry was rejected (PutEvents still answers 200 then). No orderId: a
 * response template sees only the integration's response, $context and $stageVariables, never the request body,
 * and API Gateway's requestId is not the order id.
 */
export function putEventsResponseTemplate(): string {
  return [
    `#set($entry = $input.path('$.Entries[0]'))`,
    `{"eventId": #if($entry.EventId)$input.json('$.Entries[0].EventId')#{else}null#end, "failedEntryCount": $input.json('$.FailedEntryCount')` +
      `#if($entry.ErrorCode), "errorCode": $input.json('$.Entries[0].ErrorCode'), "errorMessage": $input.json('$.Entries[0].ErrorMessage')#end}`,
  ].join('\n');
}

/**
 * An AWS JSON-protocol error `{"__type": "com.amazonaws...#ExecutionAlreadyExists", "message": "..."}` -> `{message, type}`
 * with the short type name. Read through $input.path: `$e.__type` is not a Velocity identifier (they start with a
 * letter), so Apache Velocity would print `$e` followed by ".__type" although velocityjs accepts it. Some services
 * spell the field "Message".
 */
export function errorResponseTemplate(): string {
  return [
    `#set($message = $input.path('$.message'))`,
    `#if("$!message" == "")#set($message = $input.path('$.Message'))#end`,
    `#set($type = $input.path('$.__type'))`,
    `{"message": "$util.escapeJavaScript($message).replaceAll("\\\\'","'")", "type": "$util.escapeJavaScript($type.replaceAll('^.*#', ''))"}`,
  ].join('\n');
}

/**
 * A deploy-time value (ARN, bus name, source, detail type: `source` is free text in the blueprint) as the inside of
 * a JSON string that Velocity passes through untouched: JSON escapes for " \ and control characters, and $ # written
 * as \u0024 \u0023 so that Velocity never sees a reference or a directive.
 */
function jsonStringContent(value: string): string {
  return JSON.stringify(value).slice(1, -1).replace(/\$/g, '\\u0024').replace(/#/g, '\\u0023');
}
