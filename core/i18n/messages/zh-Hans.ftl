### ScanPay：付款人看到的全部文字（简体中文）。
###
### Machine-drafted from en.ftl; needs review by a native speaker before
### release. Arguments and max-length are declared in en.ftl, the reference.
### Register: a bank app's (您), full-width punctuation.

-brand = ScanPay

## PIN pad and PIN errors

pin-wrong = 支付密码错误，还可尝试 { $attempts_left } 次。
pin-wrong-wait = 支付密码错误，还可尝试 { $attempts_left } 次。请 { $wait } 秒后再试。
pin-locked-out = 支付密码错误次数过多，请 { $wait } 秒后再试。
pin-locked-wait = 支付密码错误次数过多，请稍后再试。
pin-try-again-now = 现在可以重新输入支付密码了。
pin-disabled = 支付密码错误次数过多，已被锁定。请重新设置钱包。
pin-incomplete = 支付密码共 { $length } 位，您已输入 { $entered } 位。
pin-not-a-digit = 只能输入数字 0 至 9。
pin-pad-full = 支付密码已输入完整。如需修改，请先删除一位。
pin-not-enrolled = 请先设置支付密码。
pin-already-enrolled = 支付密码已设置。
pin-rejected-same-digit = 支付密码不能全是同一个数字，太容易被猜到。请另选一个。
pin-rejected-sequence = 支付密码不能是连续数字，太容易被猜到。请另选一个。
pin-rejected-common = 这是最常用的密码之一。请另选一个。
pin-same-pad = 请在另一个键盘上输入新的支付密码。
pin-device-key-unusable = 本机已无法使用您的支付密钥。请重新设置钱包以继续付款。
pin-key-store-failed = 手机的安全存储没有响应。本次输入不计入错误次数，请重试。
pin-key-store-ineffective = 本应用无法在此手机上保护您的支付密钥。请联系客服。
pin-key-newer-app = 您的支付密钥由更新版本的应用保存。请更新应用。

## Screen-reader texts (never contain a PIN digit)

a11y-pin-digits-entered = 已输入 { $entered } 位，共 { $length } 位
a11y-pin-complete = 支付密码已输入完整
a11y-key-delete = 删除最后一位
a11y-key-done = 完成
a11y-paycode-refreshed = 已显示新的付款码。

## The payment flow

flow-scanning = 请将相机对准商家的二维码。
flow-enter-amount = 请输入向 { $merchant } 付款的金额。
flow-confirm-amount = 向 { $merchant } 支付 { $amount }？
flow-confirm-pin-free = 无需支付密码，向 { $merchant } 支付 { $amount }？
flow-confirm-biometric = 请用指纹或面容确认向 { $merchant } 支付 { $amount }。
flow-enter-pin = 请输入支付密码，向 { $merchant } 支付 { $amount }。
flow-enter-pin-offline = 您目前处于离线状态。请输入支付密码；{ $amount } 将在恢复联网后发送。
flow-sending = 正在发送付款…
flow-confirming = 正在向 { -brand } 确认付款…
flow-reversing = 未及时收到回复，正在取消付款…
flow-done = 已向 { $merchant } 支付 { $amount }。
flow-pending-offline = 已离线保存：{ $amount } 将在恢复联网后发送。
flow-pending-unresolved = { $amount } 仍在确认中，应用会为您完成。
flow-needs-attention = 暂时无法确定 { $amount } 是否已支付。请勿重复付款，并联系客服。
flow-declined = 付款被拒绝，您未被扣款。
flow-declined-insufficient-funds = 付款被拒绝：账户余额不足。您未被扣款。
flow-declined-limit = 付款被拒绝：超出账户限额。您未被扣款。
flow-declined-code-used = 付款被拒绝：此订单已支付或已过期。请询问收银员。
flow-reversed = 未收到明确回复，付款已取消。您未被扣款。
flow-not-sent = 付款未能发送，未发生扣款。请检查网络连接后重试。
flow-not-started = 付款未开始，未发生扣款。
flow-not-merchant-code = 这不是付款码。
flow-damaged-code = 此付款码已损坏。请向商家索取新的付款码。
flow-no-text = 此二维码没有内容。
flow-too-long = 此码内容过长，不是付款码。
flow-amount-fixed = 此付款码的金额不能修改。
flow-tip-not-allowed = 此付款码不接受小费。
flow-amount-too-long = 金额过长。
flow-amount-required = 请先输入有效金额。
flow-amount-zero = 金额不能为零。
flow-amount-invalid = 这不是有效的金额。
flow-amount-too-large = 金额过大。
flow-total-changed = 总金额已变化。请核对后再次确认。
flow-limit-per-payment = 超出单笔付款限额 { $limit }，未发生扣款。
flow-limit-daily = 将超出每日限额 { $limit }（已支付 { $spent }），未发生扣款。
flow-offline-not-allowed = 您目前处于离线状态，付款需要联网。未发生扣款。
flow-offline-limit-per-payment = 您目前处于离线状态。离线付款每笔上限为 { $limit }。
flow-offline-limit-total = 您目前处于离线状态。离线付款总额上限为 { $limit }，已有 { $queued } 等待发送。
flow-currency-not-allowed = 此钱包未开通该币种的付款。
flow-pin-free-offline = 您目前处于离线状态。免密付款需要联网，请使用支付密码。
flow-payment-not-found = 钱包中没有这笔付款。
flow-payment-in-progress = 这笔付款正在处理中，请等待结果。
flow-not-now = 此步骤无法执行该操作。请查看屏幕上的付款状态。

## Merchant verification (anti-phishing)

trust-verified = 已验证商家：{ $merchant }，{ $city }
trust-malformed-payload = 这不是有效的付款码。
trust-no-signature = 此码没有 { -brand } 签名，无法验证商家。
trust-malformed-signature = 此码的签名已损坏，无法验证商家。
trust-unsupported = 此码使用了较新的格式。请更新应用后再验证。
trust-no-registry = 商家名单尚未加载。请联网以验证商家。
trust-registry-expired = 商家名单已过期。请联网以验证商家。
trust-unknown-key = 该商家未在 { -brand } 注册。
trust-bad-signature = 此码已被篡改或伪造。请勿付款。
trust-revoked-key = 该商家的付款码已被撤销。请勿付款，并询问商家。
trust-key-not-yet-valid = 该商家的付款码尚未生效。请询问商家。
trust-key-expired = 该商家的付款码已过期。请向商家索取新的付款码。
trust-code-expired = 此付款码已过期。请向商家索取新的付款码。
trust-expiry-too-far = 此付款码声称的有效期过长，已被拒绝。
trust-replayed = 此付款码已被使用过。请向商家索取新的付款码。
trust-name-mismatch = 此码上的名称 { $printed } 与注册名称 { $registered } 不符，可能是假码。
trust-confusable-name = 此码上的名称 { $printed } 在模仿 { $registered }，看起来是假码。
trust-mixed-script = 名称 { $name } 混用了不同文字，这是假码常用的手法。
trust-name-missing = （无名称）
trust-account-not-registered = 此码付款的账户未经商家注册，真码上可能被贴了假码。
trust-warning-registry-stale = 商家名单近期未能更新，可能不知道最近撤销的付款码。
trust-warning-city-differs = 此码显示的城市是 { $printed }，但商家注册在 { $registered }。
trust-warning-dynamic-without-nonce = 此码可能被重复支付。请与收银员核对金额。

## Pay codes (shown to the cashier)

paycode-show-cashier = 请向收银员出示此码。
paycode-not-provisioned = 请先联网一次以设置您的付款码。
paycode-offline-limit-codes = 自上次联网以来，您已出示 { $issued } 个付款码（上限 { $max } 个）。请联网后再出示更多。
paycode-offline-limit-total = 自上次联网以来出示的付款码可能已被扣款至 { $limit }。请联网后再出示更多。
paycode-offline-allowance = 离线时最多可出示 { $max } 个付款码，每个免密最多可扣款 { $limit }。
paycode-window-exhausted = 请联网，并用支付密码重新打开付款码。
paycode-secret-replaced = 您的付款码已重新设置。请重新打开。
paycode-closed = 付款码已关闭。请重新打开。
paycode-unknown-charge = 暂未找到这笔扣款。请刷新。
paycode-charge-already-paid = 这笔扣款已支付。
paycode-charge-cancelled = 这笔扣款已取消，未发生扣款。
paycode-charge-refunded = 这笔扣款已退还给您。
paycode-charge-request = { $merchant } 请求扣款 { $amount }。请输入支付密码付款。

paycode-enter-pin = 请输入支付密码以显示付款码。
paycode-hidden-capture = 屏幕正在被录制或共享，付款码已隐藏。
paycode-next-code = { $seconds } 秒后更新付款码
paycode-next-code-offline = 离线 · { $seconds } 秒后更新付款码
paycode-charge-paid = 您已向 { $merchant } 支付 { $amount }。
paycode-charge-paid-receipt = 您已向 { $merchant } 支付 { $amount }。收据号 { $receipt }。
paycode-charge-sent = 您的答复已发送。支付服务确认后将显示结果。
paycode-charge-declined = 您已拒绝，未向 { $merchant } 付款。
paycode-merchant-unlisted = 此商家不在商家名单中，其名称由支付服务提供。

## PIN-free and biometric shortcuts

shortcut-pin-free-limit = { $limit } 以内免密
shortcut-biometric-title = 支付 { $amount }
shortcut-biometric-subtitle = 付给 { $merchant }
shortcut-payer-chose = 您选择了使用支付密码确认。
shortcut-not-opted-in = 此币种未开通免密付款。
shortcut-offline = 免密付款需要联网。请输入支付密码。
shortcut-pin-lockout = 输错支付密码后，需先输入一次密码才能免密付款。
shortcut-merchant-unverified = 该商家未经验证，需要输入支付密码。
shortcut-trust-warning = 该商家的付款码带有警告，需要输入支付密码。
shortcut-static-code = 只有商家设定金额的付款码才能免密支付。
shortcut-tip-entered = 已添加小费，需要输入支付密码。
shortcut-over-per-payment = 超出免密单笔上限 { $limit }。
shortcut-new-merchant = 这是钱包中的新商家，需要输入支付密码。
shortcut-over-daily-count = 过去 24 小时内您已免密付款 { $limit } 笔。请输入支付密码。
shortcut-over-daily-total = 将超出每日免密额度 { $limit }（已用 { $spent }）。请输入支付密码。
shortcut-pin-required = 支付服务要求这笔付款输入支付密码。
shortcut-unavailable = 目前无法免密付款。请输入支付密码。
shortcut-biometric-cancelled = 确认已取消。请重试或使用支付密码。
shortcut-biometric-locked-out = 尝试次数过多，指纹和面容已锁定。请使用支付密码。
shortcut-biometric-not-enrolled = 此手机未设置指纹或面容。请使用支付密码。
shortcut-biometric-changed = 此手机的指纹或面容设置已更改。请使用支付密码，然后重新开启此功能。
shortcut-biometric-unavailable = 目前无法使用指纹和面容。请使用支付密码。
shortcut-biometric-failed = 指纹或面容验证失败。请使用支付密码。

## Shortcut settings (turning PIN-free or biometric payments on and off)

shortcut-settings-not-offered = 此钱包不提供这项快捷功能。
shortcut-settings-over-cap = 此限额高于钱包允许的上限。请选择较低的限额。
shortcut-settings-already-on = 这项快捷功能已开启。
shortcut-settings-biometric-unavailable = 目前无法在此手机上使用指纹和面容。
shortcut-settings-refused = 支付服务未接受此更改。
shortcut-settings-pin-needed = 请输入支付密码以进行此更改。

shortcut-settings-biometric-title = 使用指纹或面容确认付款
shortcut-settings-pin-free-title = 小额免密付款
shortcut-pin-free-offer = 每笔最多 { $per_payment }，每天最多 { $daily_total }、{ $daily_count } 笔。
shortcut-settings-push-pending = 恢复联网后，此更改将同步到支付服务。
shortcut-settings-biometric-ready = 本机可使用指纹或面容确认付款。
shortcut-settings-biometric-not-enrolled = 请先在手机设置中添加指纹或面容。
shortcut-settings-biometric-locked = 指纹和面容已被锁定。请先用手机锁屏密码解锁。
shortcut-settings-biometric-no-hardware = 本机没有可用于确认付款的指纹或面容传感器。
shortcut-lapsed-biometric-pin-changed = 由于您的支付密码已更改，指纹或面容确认已关闭。请使用新的支付密码重新开启。
shortcut-lapsed-biometric-changed = 由于本机的指纹或面容已更改，指纹或面容确认已关闭。请使用支付密码重新开启。
shortcut-lapsed-biometric-key-missing = 由于本机的密钥已丢失，指纹或面容确认已关闭。请使用支付密码重新开启。
shortcut-lapsed-biometric-unverified = 由于一次确认无法验证，指纹或面容确认已关闭。请使用支付密码重新开启。
shortcut-lapsed-biometric-off = 您已关闭指纹或面容确认。
shortcut-lapsed-pin-free-pin-changed = 由于您的支付密码已更改，免密付款已关闭。请使用新的支付密码重新开启。
shortcut-lapsed-pin-free-off = 您已关闭免密付款。
shortcut-lapsed-pin-free = 免密付款已关闭。请使用支付密码重新开启。

## Network and the payment service

net-unreachable = 无法连接支付服务。请检查网络连接。
net-tls = 此网络正在拦截安全连接。请使用其他网络。
net-no-answer = 支付服务没有回复。请重试。
net-refused = 支付服务拒绝了请求（错误 { $status }）。
net-server-failed = 支付服务出错（错误 { $status }）。请稍后再试。
net-bad-answer = 支付服务返回了本应用无法使用的回复。
net-register-again = 请使用注册码重新注册此手机。
net-no-backend = 本应用未设置支付服务。

## The wallet and its storage

wallet-internal-error = 应用内部出错。您的资金没有变动。
wallet-internal-error-check = 应用内部出错。再次付款前，请先查看付款记录。
wallet-storage-failed = 钱包无法读取或保存记录。请重启应用。
wallet-storage-damaged = 钱包记录已损坏。重新安装前，请先联系客服。
wallet-newer-version = 此钱包由更新版本的应用保存。请更新应用。
wallet-busy = 钱包正忙，请稍后再试。
wallet-disk-full = 手机存储空间已满。请释放空间后重试。
wallet-registry-refused = 商家名单更新被拒绝，仍使用您现有的名单。

## Connectivity status

status-online = 在线
status-slow = 网络连接较慢。
status-errors = 支付服务出现问题。
status-tls = 此网络正在拦截安全连接。
status-offline = 离线：付款将在恢复联网后发送。
status-pending-payments = { $count } 笔付款等待中

## Receipts and history

receipt-paid = 已支付
receipt-pending = 处理中
receipt-failed = 未支付
receipt-reversed = 已取消
receipt-needs-attention = 请联系客服核实
receipt-reference = 参考号：{ $reference }
receipt-total = 合计 { $amount }
receipt-tip = 小费 { $amount }
receipt-refunded = 已退款

## Screen captions: buttons, tabs, fields and headings

ui-pay = 付款
ui-confirm = 确认
ui-cancel = 取消
ui-continue = 继续
ui-done = 完成
ui-try-again = 重试
ui-check-again = 再次查询
ui-use-pin = 使用支付密码
ui-decline = 拒绝
ui-turn-on = 开启
ui-turn-off = 关闭
ui-use-code = 使用此码
ui-import-photo = 导入照片
ui-pay-this-merchant = 向此商家付款
ui-tab-scan = 扫码付款
ui-tab-paycode = 付款码
ui-tab-shortcuts = 快捷功能
ui-field-amount = 金额
ui-field-tip = 小费（可选）
ui-field-paste-code = 或粘贴二维码内容
ui-you-are-paying = 收款方
ui-camera-needed = 请允许使用相机以扫描付款二维码。
ui-opening-wallet = 正在打开钱包…
ui-registering = 正在设置本机…
ui-wallet-open-failed = 无法打开您的钱包。
ui-choose-pin = 请设置 { $length } 位支付密码。
ui-photo-not-image = 此文件不是图片。
ui-photo-no-code = 此图片中未找到二维码。
