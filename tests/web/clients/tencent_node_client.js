// Calls Mailyard through the official Tencent Cloud Node.js SDK and prints one JSON line per call.
// Usage: node tencent_node_client.js ENDPOINT SECRET_ID SECRET_KEY METHOD DOMAIN
"use strict";
const tencentcloud = require("tencentcloud-sdk-nodejs-ses");

const [endpoint, secretId, secretKey, method, domain] = process.argv.slice(2);
const client = new tencentcloud.ses.v20201002.Client({
  credential: { secretId, secretKey },
  region: "ap-guangzhou",
  profile: { httpProfile: { endpoint, protocol: "http://", reqMethod: method, reqTimeout: 30 } },
});

async function call(action, params) {
  try {
    const answer = await client[action](params);
    return { action, ok: true, answer };
  } catch (error) {
    return { action, ok: false, code: error.code, message: error.message };
  }
}

async function main() {
  const results = [];
  results.push(await call("CreateEmailIdentity", { EmailIdentity: domain }));
  results.push(await call("ListEmailIdentities", {}));
  results.push(await call("ListSendTasks", { Offset: 0, Limit: 10 }));
  results.push(await call("GetStatisticsReport", { StartDate: "2026-01-01", EndDate: "2026-01-02" }));
  for (const result of results) console.log(JSON.stringify(result));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
