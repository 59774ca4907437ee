### ScanPay: setiap teks yang dilihat pembayar (Bahasa Melayu).
###
### Machine-drafted from en.ftl; needs review by a native speaker before
### release. Arguments and max-length are declared in en.ftl, the reference.
### Register: a bank app's ("Anda"), Malaysian Malay.

-brand = ScanPay

## PIN pad and PIN errors

pin-wrong = PIN salah. Tinggal { $attempts_left } cubaan lagi.
pin-wrong-wait = PIN salah. Tinggal { $attempts_left } cubaan lagi. Cuba lagi dalam { $wait } saat.
pin-locked-out = Terlalu banyak PIN salah. Cuba lagi dalam { $wait } saat.
pin-locked-wait = Terlalu banyak PIN salah. Tunggu sebentar, kemudian cuba lagi.
pin-try-again-now = Anda boleh memasukkan PIN sekarang.
pin-disabled = PIN anda disekat selepas terlalu banyak cubaan salah. Sediakan dompet semula.
pin-incomplete = PIN anda ada { $length } digit. Anda memasukkan { $entered }.
pin-not-a-digit = Hanya digit 0 hingga 9 boleh dimasukkan.
pin-pad-full = PIN anda sudah lengkap. Padam satu digit untuk mengubahnya.
pin-not-enrolled = Tetapkan PIN dahulu.
pin-already-enrolled = PIN sudah ditetapkan.
pin-rejected-same-digit = PIN dengan satu digit berulang terlalu mudah diteka. Pilih yang lain.
pin-rejected-sequence = PIN dengan digit berturutan terlalu mudah diteka. Pilih yang lain.
pin-rejected-common = PIN ini antara yang paling biasa. Pilih yang lain.
pin-same-pad = Masukkan PIN baharu pada pad yang berasingan.
pin-device-key-unusable = Telefon ini tidak lagi boleh menggunakan kunci pembayaran anda. Sediakan dompet semula.
pin-key-store-failed = Storan selamat telefon tidak bertindak balas. PIN anda tidak dikira. Cuba lagi.
pin-key-store-ineffective = Aplikasi ini tidak dapat melindungi kunci pembayaran anda. Hubungi sokongan.
pin-key-newer-app = Kunci pembayaran anda disimpan oleh versi aplikasi yang lebih baharu. Kemas kini aplikasi.

## Screen-reader texts (never contain a PIN digit)

a11y-pin-digits-entered = { $entered } daripada { $length } digit dimasukkan
a11y-pin-complete = PIN lengkap
a11y-key-delete = Padam digit terakhir
a11y-key-done = Selesai
a11y-paycode-refreshed = Kod bayar baharu dipaparkan.

## The payment flow

flow-scanning = Halakan kamera ke kod QR peniaga.
flow-enter-amount = Masukkan jumlah untuk dibayar kepada { $merchant }.
flow-confirm-amount = Bayar { $amount } kepada { $merchant }?
flow-confirm-pin-free = Bayar { $amount } kepada { $merchant } tanpa PIN?
flow-confirm-biometric = Sahkan { $amount } kepada { $merchant } dengan cap jari atau wajah anda.
flow-enter-pin = Masukkan PIN untuk membayar { $amount } kepada { $merchant }.
flow-enter-pin-offline = Anda di luar talian. Masukkan PIN; { $amount } akan dihantar apabila anda kembali dalam talian.
flow-sending = Menghantar pembayaran anda…
flow-confirming = Menyemak pembayaran anda dengan { -brand }…
flow-reversing = Tiada jawapan tepat pada masanya. Membatalkan pembayaran…
flow-done = { $amount } telah dibayar kepada { $merchant }.
flow-pending-offline = Disimpan di luar talian: { $amount } akan dihantar apabila anda dalam talian.
flow-pending-unresolved = { $amount } masih sedang disahkan. Aplikasi akan menyelesaikannya untuk anda.
flow-needs-attention = Kami belum dapat pastikan sama ada { $amount } telah dibayar. Jangan bayar lagi; hubungi sokongan.
flow-declined = Pembayaran ditolak. Anda tidak dicaj.
flow-declined-insufficient-funds = Pembayaran ditolak: baki akaun tidak mencukupi. Anda tidak dicaj.
flow-declined-limit = Pembayaran ditolak: melebihi had akaun anda. Anda tidak dicaj.
flow-declined-code-used = Pembayaran ditolak: pesanan ini sudah dibayar atau tamat tempoh. Tanya juruwang.
flow-reversed = Tiada jawapan yang jelas, jadi pembayaran dibatalkan. Anda tidak dicaj.
flow-not-sent = Pembayaran tidak dapat dihantar. Tiada apa dibayar. Semak sambungan dan cuba lagi.
flow-not-started = Pembayaran tidak dimulakan. Tiada apa dibayar.
flow-not-merchant-code = Ini bukan kod pembayaran.
flow-damaged-code = Kod pembayaran ini rosak. Minta kod lain daripada peniaga.
flow-no-text = Kod QR ini kosong.
flow-too-long = Kod ini terlalu panjang untuk kod pembayaran.
flow-amount-fixed = Jumlah kod ini tidak boleh diubah.
flow-tip-not-allowed = Kod ini tidak menerima tip.
flow-amount-too-long = Jumlah terlalu panjang.
flow-amount-required = Masukkan jumlah yang sah dahulu.
flow-amount-zero = Jumlah tidak boleh sifar.
flow-amount-invalid = Ini bukan jumlah yang sah.
flow-amount-too-large = Jumlah terlalu besar.
flow-total-changed = Jumlah keseluruhan berubah. Semak dan sahkan semula.
flow-limit-per-payment = Ini melebihi had { $limit } setiap pembayaran. Tiada apa dibayar.
flow-limit-daily = Ini melebihi had harian { $limit } ({ $spent } sudah dibelanjakan). Tiada apa dibayar.
flow-offline-not-allowed = Anda di luar talian, dan pembayaran memerlukan sambungan. Tiada apa dibayar.
flow-offline-limit-per-payment = Anda di luar talian. Pembayaran luar talian terhad kepada { $limit } setiap satu.
flow-offline-limit-total = Anda di luar talian. Pembayaran luar talian terhad kepada { $limit } semuanya; { $queued } sedang menunggu.
flow-currency-not-allowed = Pembayaran dalam mata wang ini tidak diaktifkan dalam dompet ini.
flow-pin-free-offline = Anda di luar talian. Pembayaran tanpa PIN memerlukan sambungan; gunakan PIN.
flow-payment-not-found = Pembayaran ini tiada dalam dompet.
flow-payment-in-progress = Pembayaran ini sedang diproses. Tunggu keputusannya.
flow-not-now = Ini tidak boleh dilakukan pada langkah ini. Skrin menunjukkan status pembayaran anda.

## Merchant verification (anti-phishing)

trust-verified = Peniaga disahkan: { $merchant }, { $city }
trust-malformed-payload = Ini bukan kod pembayaran yang sah.
trust-no-signature = Kod ini tiada tandatangan { -brand }, jadi peniaga tidak dapat disemak.
trust-malformed-signature = Tandatangan kod ini rosak, jadi peniaga tidak dapat disemak.
trust-unsupported = Kod ini menggunakan format baharu. Kemas kini aplikasi untuk menyemaknya.
trust-no-registry = Senarai peniaga belum dimuatkan. Sambung ke internet untuk menyemak peniaga.
trust-registry-expired = Senarai peniaga sudah lapuk. Sambung ke internet untuk menyemak peniaga.
trust-unknown-key = Peniaga ini tidak berdaftar dengan { -brand }.
trust-bad-signature = Kod ini telah diubah atau dipalsukan. Jangan bayar.
trust-revoked-key = Kod peniaga ini telah ditarik balik. Jangan bayar; tanya peniaga.
trust-key-not-yet-valid = Kod peniaga ini belum sah. Tanya peniaga.
trust-key-expired = Kod peniaga ini telah tamat tempoh. Minta kod baharu daripada peniaga.
trust-code-expired = Kod pembayaran ini telah tamat tempoh. Minta kod baharu daripada peniaga.
trust-expiry-too-far = Kod pembayaran ini mendakwa sah terlalu lama, jadi ia ditolak.
trust-replayed = Kod pembayaran ini sudah digunakan. Minta kod baharu daripada peniaga.
trust-name-mismatch = Nama dalam kod ini, { $printed }, bukan nama berdaftar { $registered }. Mungkin kod palsu.
trust-confusable-name = Nama dalam kod ini, { $printed }, meniru { $registered }. Ia kelihatan seperti kod palsu.
trust-mixed-script = Nama { $name } mencampurkan abjad seperti kod palsu.
trust-name-missing = (tiada nama)
trust-account-not-registered = Kod ini membayar akaun yang tidak didaftarkan oleh peniaga. Kod palsu mungkin ditampal di atas kod sebenar.
trust-warning-registry-stale = Senarai peniaga tidak dapat dikemas kini baru-baru ini; kod yang baru ditarik balik mungkin tidak diketahui.
trust-warning-city-differs = Kod menyatakan { $printed }, tetapi peniaga berdaftar di { $registered }.
trust-warning-dynamic-without-nonce = Kod ini boleh dibayar lebih daripada sekali. Semak jumlah dengan juruwang.

## Pay codes (shown to the cashier)

paycode-show-cashier = Tunjukkan kod ini kepada juruwang.
paycode-not-provisioned = Sambung ke internet sekali untuk menyediakan kod bayar anda.
paycode-offline-limit-codes = Anda telah menunjukkan { $issued } kod sejak kali terakhir dalam talian (maksimum { $max }). Sambung ke internet untuk lebih.
paycode-offline-limit-total = Kod yang ditunjukkan sejak kali terakhir dalam talian mungkin sudah dicaj sehingga { $limit }. Sambung ke internet untuk lebih.
paycode-offline-allowance = Di luar talian, anda boleh tunjukkan sehingga { $max } kod; setiap satu boleh dicaj sehingga { $limit } tanpa PIN.
paycode-window-exhausted = Sambung ke internet dan buka kod bayar semula dengan PIN anda.
paycode-secret-replaced = Kod bayar anda telah disediakan semula. Bukanya semula.
paycode-closed = Kod bayar telah ditutup. Bukanya semula.
paycode-unknown-charge = Caj ini belum diketahui. Muat semula.
paycode-charge-already-paid = Caj ini sudah dibayar.
paycode-charge-cancelled = Caj ini telah dibatalkan. Tiada apa dibayar.
paycode-charge-refunded = Caj ini telah dikembalikan kepada anda.
paycode-charge-request = { $merchant } meminta { $amount }. Masukkan PIN untuk membayar.

paycode-enter-pin = Masukkan PIN anda untuk menunjukkan kod bayar anda.
paycode-hidden-capture = Skrin sedang dirakam atau dikongsi, jadi kod bayar anda disembunyikan.
paycode-next-code = Kod baharu dalam { $seconds } saat
paycode-next-code-offline = Luar talian · kod baharu dalam { $seconds } saat
paycode-charge-paid = Anda telah membayar { $amount } kepada { $merchant }.
paycode-charge-paid-receipt = Anda telah membayar { $amount } kepada { $merchant }. Resit { $receipt }.
paycode-charge-sent = Jawapan anda telah dihantar. Hasilnya dipaparkan setelah perkhidmatan pembayaran mengesahkannya.
paycode-charge-declined = Anda menolak. { $merchant } tidak dibayar.
paycode-merchant-unlisted = Kedai ini tiada dalam senarai peniaga. Namanya diberikan oleh perkhidmatan pembayaran.

## PIN-free and biometric shortcuts

shortcut-pin-free-limit = Sehingga { $limit } tanpa PIN
shortcut-biometric-title = Bayar { $amount }
shortcut-biometric-subtitle = kepada { $merchant }
shortcut-payer-chose = Anda memilih untuk mengesahkan dengan PIN.
shortcut-not-opted-in = Pembayaran tanpa PIN tidak diaktifkan untuk mata wang ini.
shortcut-offline = Pembayaran tanpa PIN memerlukan sambungan. Masukkan PIN anda.
shortcut-pin-lockout = Selepas PIN salah, masukkan PIN sekali sebelum membayar tanpanya.
shortcut-merchant-unverified = Peniaga ini tidak disahkan, jadi PIN anda diperlukan.
shortcut-trust-warning = Kod peniaga ini ada amaran, jadi PIN anda diperlukan.
shortcut-static-code = Hanya kod dengan jumlah yang ditetapkan peniaga boleh dibayar tanpa PIN.
shortcut-tip-entered = Tip telah ditambah, jadi PIN anda diperlukan.
shortcut-over-per-payment = Ini melebihi { $limit }, had pembayaran tanpa PIN.
shortcut-new-merchant = Peniaga ini baharu dalam dompet anda, jadi PIN anda diperlukan.
shortcut-over-daily-count = Anda membuat { $limit } pembayaran tanpa PIN dalam 24 jam lalu. Masukkan PIN anda.
shortcut-over-daily-total = Ini melebihi { $limit } sehari tanpa PIN ({ $spent } sudah). Masukkan PIN anda.
shortcut-pin-required = Perkhidmatan pembayaran meminta PIN untuk pembayaran ini.
shortcut-unavailable = Bayar tanpa PIN tidak tersedia sekarang. Masukkan PIN anda.
shortcut-biometric-cancelled = Pengesahan dibatalkan. Cuba lagi atau gunakan PIN.
shortcut-biometric-locked-out = Cap jari dan wajah dikunci selepas terlalu banyak cubaan. Gunakan PIN.
shortcut-biometric-not-enrolled = Tiada cap jari atau wajah disediakan pada telefon ini. Gunakan PIN.
shortcut-biometric-changed = Tetapan cap jari atau wajah telah berubah. Gunakan PIN, kemudian hidupkan semula ciri ini.
shortcut-biometric-unavailable = Cap jari dan wajah tidak boleh digunakan sekarang. Gunakan PIN.
shortcut-biometric-failed = Semakan cap jari atau wajah gagal. Gunakan PIN.

## Shortcut settings (turning PIN-free or biometric payments on and off)

shortcut-settings-not-offered = Dompet ini tidak menawarkan pintasan ini.
shortcut-settings-over-cap = Had ini lebih tinggi daripada yang dibenarkan dompet. Pilih had lebih rendah.
shortcut-settings-already-on = Pintasan ini sudah dihidupkan.
shortcut-settings-biometric-unavailable = Cap jari dan wajah tidak boleh digunakan pada telefon ini sekarang.
shortcut-settings-refused = Perkhidmatan pembayaran tidak menerima perubahan ini.
shortcut-settings-pin-needed = Masukkan PIN anda untuk membuat perubahan ini.

shortcut-settings-biometric-title = Sahkan pembayaran dengan cap jari atau wajah
shortcut-settings-pin-free-title = Bayar jumlah kecil tanpa PIN
shortcut-pin-free-offer = Sehingga { $per_payment } setiap pembayaran, { $daily_total } dan { $daily_count } pembayaran sehari.
shortcut-settings-push-pending = Perubahan ini sampai ke perkhidmatan pembayaran apabila anda kembali dalam talian.
shortcut-settings-biometric-ready = Cap jari atau wajah boleh mengesahkan pembayaran pada telefon ini.
shortcut-settings-biometric-not-enrolled = Tambah cap jari atau wajah dalam tetapan telefon dahulu.
shortcut-settings-biometric-locked = Cap jari dan wajah dikunci. Buka kunci telefon dengan kod laluannya dahulu.
shortcut-settings-biometric-no-hardware = Telefon ini tiada penderia cap jari atau wajah yang boleh mengesahkan pembayaran.
shortcut-lapsed-biometric-pin-changed = Pengesahan cap jari atau wajah dimatikan kerana PIN anda berubah. Hidupkan semula dengan PIN baharu.
shortcut-lapsed-biometric-changed = Pengesahan cap jari atau wajah dimatikan kerana cap jari atau wajah pada telefon ini berubah. Hidupkan semula dengan PIN anda.
shortcut-lapsed-biometric-key-missing = Pengesahan cap jari atau wajah dimatikan kerana telefon ini kehilangan kuncinya. Hidupkan semula dengan PIN anda.
shortcut-lapsed-biometric-unverified = Pengesahan cap jari atau wajah dimatikan kerana satu pengesahan tidak dapat disahkan. Hidupkan semula dengan PIN anda.
shortcut-lapsed-biometric-off = Anda telah mematikan pengesahan cap jari atau wajah.
shortcut-lapsed-pin-free-pin-changed = Pembayaran tanpa PIN dimatikan kerana PIN anda berubah. Hidupkan semula dengan PIN baharu.
shortcut-lapsed-pin-free-off = Anda telah mematikan pembayaran tanpa PIN.
shortcut-lapsed-pin-free = Pembayaran tanpa PIN dimatikan. Hidupkan semula dengan PIN anda.

## Network and the payment service

net-unreachable = Perkhidmatan pembayaran tidak dapat dihubungi. Semak sambungan anda.
net-tls = Rangkaian ini memintas sambungan selamat. Gunakan rangkaian lain.
net-no-answer = Tiada jawapan daripada perkhidmatan pembayaran. Cuba lagi.
net-refused = Perkhidmatan pembayaran menolak permintaan (ralat { $status }).
net-server-failed = Perkhidmatan pembayaran gagal (ralat { $status }). Cuba lagi nanti.
net-bad-answer = Perkhidmatan pembayaran menghantar jawapan yang tidak dapat digunakan.
net-register-again = Daftar telefon ini semula dengan kod pendaftaran anda.
net-no-backend = Aplikasi ini tiada perkhidmatan pembayaran.

## The wallet and its storage

wallet-internal-error = Berlaku ralat dalam aplikasi. Wang anda tidak berubah.
wallet-internal-error-check = Berlaku ralat dalam aplikasi. Semak sejarah pembayaran sebelum membayar lagi.
wallet-storage-failed = Dompet tidak dapat membaca atau menyimpan rekodnya. Mulakan semula aplikasi.
wallet-storage-damaged = Rekod dompet rosak. Hubungi sokongan sebelum memasang semula.
wallet-newer-version = Dompet ini disimpan oleh versi aplikasi yang lebih baharu. Kemas kini aplikasi.
wallet-busy = Dompet sedang sibuk. Cuba lagi sebentar.
wallet-disk-full = Storan telefon ini penuh. Kosongkan ruang dan cuba lagi.
wallet-registry-refused = Kemas kini senarai peniaga ditolak. Senarai sedia ada masih digunakan.

## Connectivity status

status-online = Dalam talian
status-slow = Sambungan perlahan.
status-errors = Perkhidmatan pembayaran menghadapi masalah.
status-tls = Rangkaian ini memintas sambungan selamat.
status-offline = Luar talian: pembayaran akan dihantar apabila anda kembali dalam talian.
status-pending-payments = { $count } pembayaran menunggu

## Receipts and history

receipt-paid = Dibayar
receipt-pending = Belum selesai
receipt-failed = Tidak dibayar
receipt-reversed = Dibatalkan
receipt-needs-attention = Semak dengan sokongan
receipt-reference = Rujukan: { $reference }
receipt-total = Jumlah { $amount }
receipt-tip = Tip { $amount }
receipt-refunded = Dibayar balik

## Screen captions: buttons, tabs, fields and headings

ui-pay = Bayar
ui-confirm = Sahkan
ui-cancel = Batal
ui-continue = Teruskan
ui-done = Selesai
ui-try-again = Cuba lagi
ui-check-again = Semak semula
ui-use-pin = Guna PIN
ui-decline = Tolak
ui-turn-on = Hidupkan
ui-turn-off = Matikan
ui-use-code = Guna kod ini
ui-import-photo = Import foto
ui-pay-this-merchant = Bayar peniaga ini
ui-tab-scan = Imbas untuk bayar
ui-tab-paycode = Kod bayar
ui-tab-shortcuts = Pintasan
ui-field-amount = Jumlah
ui-field-tip = Tip (pilihan)
ui-field-paste-code = Atau tampal kod
ui-you-are-paying = Anda membayar
ui-camera-needed = Benarkan kamera untuk mengimbas kod pembayaran.
ui-opening-wallet = Membuka dompet anda…
ui-registering = Menyediakan telefon ini…
ui-wallet-open-failed = Dompet anda tidak dapat dibuka.
ui-choose-pin = Pilih PIN { $length } digit.
ui-photo-not-image = Fail ini bukan gambar.
ui-photo-no-code = Tiada kod QR ditemui dalam gambar ini.
