/** The help text of the operator CLI. */

export const USAGE = `wa-sip-gateway - operator tool for the WhatsApp Business Calling SIP gateway

usage:
  wa-sip-gateway meta configure --phone-number-id ID --hostname HOST [--port 5061]
                                [--user-param key=value]... [--srtp SDES|DTLS]
      Enable calling over SIP on a business number at Meta (POST /<ID>/settings);
      SRTP key exchange defaults to SDES. Prints Meta's answer.
  wa-sip-gateway meta show --phone-number-id ID [--include-sip-credentials]
      Print the number's calling settings (GET /<ID>/settings). With
      --include-sip-credentials, also print Meta's SIP password for each server
      (the only place this tool prints a password).
  wa-sip-gateway meta permission <business> <user> [--config FILE]
      Print Meta's call permission state for the WhatsApp user (GET
      /<ID>/call_permissions): the permission, start_call and
      send_call_permission_request with their limits, and what the gateway
      would do with an agent's call to the user.
  wa-sip-gateway meta request-permission <business> <user> [--config FILE] [--text TEXT]
      Send the user Meta's call permission request message (POST /<ID>/messages).
      <business>: the phone number ID (token from WA_GRAPH_TOKEN), or the business
      number (+E.164) with --config naming the gateway's YAML, whose
      numbers[].call_permissions give ID, token, Graph URL, version and text.
  wa-sip-gateway check-tls <host> <port> [--servername NAME] [--ca FILE] [--timeout SECONDS]
      Check what Meta checks: TLS handshake, certificate chain (system CAs or FILE),
      certificate name (NAME, default host), and that no client certificate is requested.
  wa-sip-gateway check-config <file> [<file>...]
      Load the gateway config files (secrets from the environment) and print a summary.
  wa-sip-gateway schema [--out FILE]
      Print (or write to FILE) the JSON Schema of the config YAML, for editors.
  wa-sip-gateway --help

meta options:  --graph-url URL, --graph-version vNN.N (override the environment)

environment:
  WA_GRAPH_TOKEN     access token for the Graph API (required by meta commands; never printed)
  WA_GRAPH_URL       Graph API base URL (default https://graph.facebook.com)
  WA_GRAPH_VERSION   Graph API version (default v21.0)

exit codes: 0 success, 1 a check or a Graph API call failed, 2 bad usage, configuration or environment
`;
