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
  wa-sip-gateway media list|drain|resume [<host:port>] [--gateway URL]...
      The media servers each gateway instance uses (URL of its HTTP API, default
      http://127.0.0.1:8080; repeat --gateway for every instance). drain: no new
      calls on the FreeSWITCH at host:port (its event socket), its calls finish;
      resume: new calls again.
  wa-sip-gateway test-call --gateway HOST:PORT --number +E164 [--servername NAME] [--ca FILE]
                           [--password-env VAR] [--from +E164] [--seconds N] [--json]
                           [--local-address IP] [--cdr FILE] [--tone HZ] [--dtmf DIGITS]
                           [--srtp sdes|dtls]
      Play Meta's side of a WhatsApp user's call into a running gateway: TLS, our
      digest challenge answered with the number's SIP password (from VAR, default
      META_SIP_PASSWORD_<digits>), Meta's headers and Opus SDP with SDES keys, or with
      --srtp dtls as Meta's DTLS mode (ICE-lite, DTLS server; the report says when
      DTLS completed); send a tone and DTMF, listen, hang up after N seconds
      (default 8) and print a report. Run it from a host in meta.source_ranges.
      Exit 0 only when audio flowed both ways, which needs a far end that echoes
      (an echo-test extension).
  wa-sip-gateway test-call --outbound --listen IP:PORT --cert FILE --key FILE
                           [--password-env VAR] [--seconds N] [--wait S] [--json] [--cdr FILE]
                           [--srtp sdes|dtls]
      Stand in for wa.meta.vc (point meta.outbound_host/_port, outbound_tls_servername
      and outbound_tls_ca_file at it) while you dial a WhatsApp number from a phone
      on the PBX: the gateway's INVITE is checked as Meta checks it, challenged (407)
      and verified with the business number's SIP password, answered with Opus in the
      offer's key exchange (DTLS: setup:passive, ICE-lite; --srtp names the one the
      number has at Meta, the other gets 488); tone and DTMF, the same report and exit code.
  wa-sip-gateway schema [--out FILE]
      Print (or write to FILE) the JSON Schema of the config YAML, for editors.
  wa-sip-gateway --help

meta options:  --graph-url URL, --graph-version vNN.N (override the environment)

environment:
  WA_GRAPH_TOKEN     access token for the Graph API (required by meta commands; never printed)
  WA_GRAPH_URL       Graph API base URL (default https://graph.facebook.com)
  WA_GRAPH_VERSION   Graph API version (default v21.0)

exit codes: 0 success, 1 a check, a test call or a Graph API call failed, 2 bad usage, configuration or environment
`;
