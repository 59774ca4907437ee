#!/usr/bin/env node
// Syntax check of Swift files with the tree-sitter Swift grammar (npm packages
// `tree-sitter` + `tree-sitter-swift`, prebuilt N-API addons), for a machine
// without a Swift compiler. Used by scripts/check-swift.sh.
//
//   node check-syntax.js --generated <scanpay.swift> <file.swift>...
//
// A file passes when its tree has no ERROR and no MISSING node. This is a
// syntax check only: no types, no name resolution, no SDK.
//
// The grammar (0.7.x) rejects three constructs that Swift 5.9/5.10 accept and
// that UniFFI's generated Swift uses. They are rewritten before parsing,
// keeping every byte offset, and counted in the output:
//   - conditional attributes (SE-0367): `#if cond` / `@attr` lines / `#endif`
//     -> the directive lines are blanked, the attributes stay;
//   - `nonisolated(unsafe)` (SE-0412) -> `nonisolated` + blanks;
//   - a closure returning the empty tuple, `{ () }` -> `{    }`.
// A self-test proves each rewrite is needed and that a broken file fails.
'use strict';
const fs = require('fs');
const path = require('path');
const Parser = require('tree-sitter');
const Swift = require('tree-sitter-swift');

const parser = new Parser();
parser.setLanguage(Swift);

const ATTR_LINE = /^\s*@[A-Za-z_]\w*(\(.*\))?\s*$/;
const blank = (s) => s.replace(/[^\n]/g, ' ');

function normalise(src, counts) {
  const lines = src.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*#if\b/.test(lines[i])) continue;
    let j = i + 1;
    while (j < lines.length && ATTR_LINE.test(lines[j])) j++;
    if (j > i + 1 && j < lines.length && /^\s*#endif\s*$/.test(lines[j])) {
      lines[i] = blank(lines[i]);
      lines[j] = blank(lines[j]);
      counts.conditionalAttributes++;
      i = j;
    }
  }
  let out = lines.join('\n');
  out = out.replace(/\bnonisolated\(unsafe\)/g, () => {
    counts.nonisolatedUnsafe++;
    return 'nonisolated        ';
  });
  out = out.replace(/\{ \(\) \}/g, () => {
    counts.emptyTupleClosure++;
    return '{    }';
  });
  return out;
}

function problems(src) {
  // A callback input: the binding refuses strings above 32 KiB in one piece.
  const tree = parser.parse((index) => src.slice(index, index + 16384));
  const found = [];
  const walk = (node) => {
    if (found.length >= 5) return;
    if (node.type === 'ERROR' || node.isMissing) {
      const at = `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
      const what = node.isMissing ? `MISSING ${node.type}` : 'ERROR';
      const near = src.slice(node.startIndex, node.startIndex + 60).split('\n')[0];
      found.push(`${at} ${what} near ${JSON.stringify(near)}`);
      return;
    }
    for (const child of node.children) walk(child);
  };
  walk(tree.rootNode);
  return found;
}

function newCounts() {
  return { conditionalAttributes: 0, nonisolatedUnsafe: 0, emptyTupleClosure: 0 };
}

// The checker must reject broken Swift, and each rewrite must be necessary.
function selfTest() {
  const bad = 'func f( {\n  let = 1\n}\n';
  if (problems(normalise(bad, newCounts())).length === 0) {
    throw new Error('self-test: a broken file parsed without errors');
  }
  const gaps = [
    '#if swift(>=5.8)\n@_documentation(visibility: private)\n#endif\npublic struct A {}\n',
    'struct B {\n    nonisolated(unsafe) static let v: Int = 1\n}\n',
    'let w = { () }\n',
  ];
  for (const g of gaps) {
    if (problems(g).length === 0) throw new Error(`self-test: rewrite no longer needed for ${JSON.stringify(g)}`);
    if (problems(normalise(g, newCounts())).length !== 0) throw new Error(`self-test: rewrite does not fix ${JSON.stringify(g)}`);
  }
}

// Declarations of the generated bindings that the hand-written Swift relies
// on (whitespace-insensitive). A rename in bindings/src shows up here.
const API = [
  'public protocol PlatformKeyStore: AnyObject, Sendable',
  'public enum PlatformKeyStoreError: Swift.Error',
  'func wrap(alias: String, plaintext: Data) throws -> Data',
  'func unwrap(alias: String, wrapped: Data) throws -> Data',
  'public protocol NetworkMonitor: AnyObject, Sendable',
  'func isNetworkAvailable() -> Bool',
  'public protocol LogSink: AnyObject, Sendable',
  'func log(level: LogLevel, message: String)',
  'public protocol StatusListener: AnyObject, Sendable',
  'func onStatus(status: StatusSnapshot)',
  'public protocol FlowListener: AnyObject, Sendable',
  'func onState(state: FlowState)',
  'public static func `open`(config: WalletConfig, keyStore: PlatformKeyStore, network: NetworkMonitor?, logger: LogSink?)throws -> Wallet',
  'func subscribeStatus(listener: StatusListener) -> StatusSubscription',
  'func setNetworkAvailable(available: Bool)',
  'func status() -> StatusSnapshot',
  'func newFlow() -> PaymentFlow',
  'func enrol(pin: PinPad) async throws -> Data',
  'func isEnrolled() throws -> Bool',
  'func syncRegistry() async throws -> RegistryInfo?',
  'func registerDevice(enrolmentCode: String) async throws -> DeviceRegistration',
  'func start() async throws -> ResumeSummary',
  'func handle(intent: FlowIntent) throws -> FlowState',
  'public enum FlowIntent: Equatable, Hashable',
  'func pressPinDigit(digit: UInt8) throws -> FlowState',
  'func process(listener: FlowListener?) async throws -> FlowState',
  'func state() -> FlowState',
  'func press(digit: UInt8) throws -> UInt32',
  'func scan(data: Data, width: UInt32, height: UInt32, rowStride: UInt32, rotationDegrees: UInt32, region: Region?) throws -> [ScannedCode]',
  'public static func forStillImages() -> QrScanner',
  'public func formatMoney(money: Money) -> String',
  'public func reasonCode(reason: Reason) -> String',
  'public func warningCode(warning: Warning) -> String',
  'case Rejected',
  'case Unavailable(',
  'case InvalidInput(',
  'case Failed(',
  'case enterPin(',
  'case reviewMerchant(',
  'case backspace',
  'case confirm(',
  'case scannedCode(',
  'func count() -> UInt32',
  'func backspace() -> UInt32',
  'func isComplete() -> Bool',
  'func cancel() -> Bool',
  'public init(baseUrl: String, caPem: String, spkiPins: [String], requirePins: Bool, connectTimeoutMs: UInt64, readTimeoutMs: UInt64)',
  'public init(dataDir: String, rootsJson: String, backend: BackendConfig?, limits: [CurrencyLimits], allowOfflinePayments: Bool, allowUnverifiedMerchants: Bool, timings: Timings?)',
  'public init(currency: String, perPayment: UInt64, daily: UInt64, offlinePerPayment: UInt64, offlineTotal: UInt64)',
  // Biometric confirmation and PIN-free payments (SecureEnclaveBiometricKey, the sample's screens).
  'public protocol BiometricKey: AnyObject, Sendable',
  'func availability() -> BiometricAvailability',
  'func createKey() throws -> Data',
  'func sign(challenge: Data, prompt: BiometricPromptText) throws -> Data',
  'func deleteKey() throws',
  'public enum BiometricError: Swift.Error',
  'public struct BiometricPromptText: Equatable, Hashable',
  'public struct PinFallbackInfo: Equatable, Hashable',
  'case KeyInvalidated',
  'case KeyMissing',
  'case Cancelled',
  'case authenticateBiometric',
  'case usePin',
  'case confirmPinFree(',
  'case confirmBiometric(',
  // The pay code (PaycodeModel, PaycodeScreen, ErrorMessages).
  'func paycodeStatus() throws -> PaycodeStatus',
  'func openPaycode(pin: PinPad) async throws -> PaycodeSession',
  'func current() async throws -> PaycodeDisplay',
  'func setScreenCaptured(captured: Bool)',
  'func end()',
  'func syncPaycode(waitSecs: UInt64) async throws -> [PaycodeCharge]',
  'func pendingCharges() throws -> [PendingCharge]',
  'func confirmCharge(chargeId: String, pin: PinPad) async throws -> ChargeOutcome',
  'func declineCharge(chargeId: String) async throws -> ChargeOutcome',
  'public func paycodeQrQuietModules() -> UInt32',
  'public func paycodeBarsQuietModules() -> UInt32',
  'public var bars: Data',
  'public var modules: [Bool]',
  'enum PaycodeError: Swift.Error, Equatable, Hashable, Foundation.LocalizedError',
  'case offlineLimitReached(',
  'case OfflineLimitReached(',
  'case pinLocked(',
  'case codes(',
  'case paid(',
  // The catalogue (issue 13): every caption and value text of the sample (Presentation.swift),
  // the biometric sheet's cancel button (SecureEnclaveBiometricKey).
  'public func labelText(label: UiLabel) -> LocalizedText',
  'public func uiText(text: UiText) throws -> LocalizedText',
  'public enum UiLabel: Equatable, Hashable',
  'public enum UiText: Equatable, Hashable',
  'case paycodeRefresh(seconds: UInt32, offline: Bool)',
  'case chargeRequest(charge: PendingCharge)',
  'case chargeTitle(outcome: ChargeOutcome)',
  'case chargeResult(merchant: String, amount: Money, outcome: ChargeOutcome, declined: Bool)',
  'case reference(reference: String)',
  'case payThisMerchant',
  'case importPhoto',
  'case tabScan',
  'case tabPaycode',
  'case fieldAmount',
  'case fieldTip',
  'case openingWallet',
  'case registering',
  'case walletOpenFailed',
  'case choosePin',
  'case cameraNeeded',
  'case photoNotImage',
  'case photoNoCode',
  'case paycodeEnterPin',
  'case paycodeHidden',
  'case tryAgain',
  'case checkAgain',
  'case decline',
  'case noName',
  'case merchantUnlisted',
  'public var registered: Bool',
  'public var cancel: String',
  'public var refreshInSecs: UInt64',
  'public var connectivity: ConnectivityStatus',
];

function apiContract(generated) {
  const squash = (s) => s.replace(/\/\*\*[\s\S]*?\*\//g, '').replace(/\s+/g, '');
  const text = squash(generated);
  return API.filter((decl) => !text.includes(squash(decl)));
}

function main() {
  const args = process.argv.slice(2);
  let generated = null;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--generated') generated = args[++i];
    else files.push(args[i]);
  }
  selfTest();
  let passed = 0;
  let failed = 0;
  const totals = newCounts();
  const all = generated ? [generated, ...files] : files;
  for (const file of all) {
    const counts = newCounts();
    const src = normalise(fs.readFileSync(file, 'utf8'), counts);
    for (const k of Object.keys(totals)) totals[k] += counts[k];
    const found = problems(src);
    const name = path.relative(process.cwd(), file);
    if (found.length === 0) {
      passed++;
      console.log(`PASS ${name}`);
    } else {
      failed++;
      console.log(`FAIL ${name}`);
      for (const p of found) console.log(`  ${name}:${p}`);
    }
  }
  if (generated) {
    const missing = apiContract(fs.readFileSync(generated, 'utf8'));
    if (missing.length === 0) {
      passed++;
      console.log(`PASS API contract: ${API.length} declarations found in the generated bindings`);
    } else {
      failed++;
      console.log(`FAIL API contract: ${missing.length} of ${API.length} declarations missing`);
      for (const m of missing) console.log(`  missing: ${m}`);
    }
  }
  console.log(`grammar rewrites: conditional attributes ${totals.conditionalAttributes}, ` +
    `nonisolated(unsafe) ${totals.nonisolatedUnsafe}, { () } ${totals.emptyTupleClosure}`);
  if (all.length === 0) failed++;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
