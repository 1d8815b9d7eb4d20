// Test SMSC: binds, answers submit_sm with a message id, and appends every
// message it received to a JSON-lines file for the test to read.
// Usage: node smsc.js PORT OUTFILE
const smpp = require('smpp');
const fs = require('fs');
const port = parseInt(process.argv[2], 10);
const out = process.argv[3];
let count = 0;
const server = smpp.createServer((session) => {
  const ok = (pdu) => session.send(pdu.response());
  session.on('bind_transmitter', ok);
  session.on('bind_transceiver', ok);
  session.on('enquire_link', ok);
  session.on('submit_sm', (pdu) => {
    count += 1;
    const id = `msg-${count}`;
    const text = pdu.short_message && pdu.short_message.message !== undefined
      ? pdu.short_message.message : String(pdu.short_message);
    fs.appendFileSync(out, JSON.stringify({
      id, to: pdu.destination_addr, from: pdu.source_addr, text,
    }) + '\n');
    session.send(pdu.response({ message_id: id }));
  });
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
});
server.listen(port, '127.0.0.1', () => console.log('ready'));
