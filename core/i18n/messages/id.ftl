### ScanPay: semua teks yang dilihat pembayar (Bahasa Indonesia).
###
### Machine-drafted from en.ftl; needs review by a native speaker before
### release. Arguments and max-length are declared in en.ftl, the reference.
### Register: a bank app's ("Anda").

-brand = ScanPay

## PIN pad and PIN errors

pin-wrong = PIN salah. Sisa { $attempts_left } kali percobaan.
pin-wrong-wait = PIN salah. Sisa { $attempts_left } kali percobaan. Coba lagi dalam { $wait } detik.
pin-locked-out = Terlalu banyak PIN salah. Coba lagi dalam { $wait } detik.
pin-locked-wait = Terlalu banyak PIN salah. Tunggu sebentar, lalu coba lagi.
pin-try-again-now = Anda dapat memasukkan PIN lagi sekarang.
pin-disabled = PIN Anda diblokir karena terlalu banyak salah. Siapkan dompet lagi.
pin-incomplete = PIN Anda terdiri dari { $length } digit. Anda memasukkan { $entered }.
pin-not-a-digit = Hanya angka 0 sampai 9 yang dapat dimasukkan.
pin-pad-full = PIN Anda sudah lengkap. Hapus satu digit untuk mengubahnya.
pin-not-enrolled = Buat PIN terlebih dahulu.
pin-already-enrolled = PIN sudah dibuat.
pin-rejected-same-digit = PIN dengan satu angka berulang terlalu mudah ditebak. Pilih yang lain.
pin-rejected-sequence = PIN dengan angka berurutan terlalu mudah ditebak. Pilih yang lain.
pin-rejected-common = PIN ini termasuk yang paling umum. Pilih yang lain.
pin-same-pad = Masukkan PIN baru pada papan terpisah.
pin-device-key-unusable = Ponsel ini tidak dapat lagi memakai kunci pembayaran Anda. Siapkan dompet lagi.
pin-key-store-failed = Penyimpanan aman ponsel tidak merespons. PIN Anda tidak dihitung. Coba lagi.
pin-key-store-ineffective = Aplikasi ini tidak dapat melindungi kunci pembayaran Anda. Hubungi layanan pelanggan.
pin-key-newer-app = Kunci pembayaran Anda disimpan oleh versi aplikasi yang lebih baru. Perbarui aplikasi.

## Screen-reader texts (never contain a PIN digit)

a11y-pin-digits-entered = { $entered } dari { $length } digit dimasukkan
a11y-pin-complete = PIN lengkap
a11y-key-delete = Hapus digit terakhir
a11y-key-done = Selesai
a11y-paycode-refreshed = Kode bayar baru ditampilkan.

## The payment flow

flow-scanning = Arahkan kamera ke kode QR merchant.
flow-enter-amount = Masukkan jumlah yang akan dibayar ke { $merchant }.
flow-confirm-amount = Bayar { $amount } ke { $merchant }?
flow-confirm-pin-free = Bayar { $amount } ke { $merchant } tanpa PIN?
flow-confirm-biometric = Konfirmasi { $amount } ke { $merchant } dengan sidik jari atau wajah Anda.
flow-enter-pin = Masukkan PIN untuk membayar { $amount } ke { $merchant }.
flow-enter-pin-offline = Anda sedang offline. Masukkan PIN; { $amount } akan dikirim saat Anda kembali online.
flow-sending = Mengirim pembayaran Anda…
flow-confirming = Memeriksa pembayaran Anda dengan { -brand }…
flow-reversing = Tidak ada jawaban tepat waktu. Membatalkan pembayaran…
flow-done = { $amount } telah dibayar ke { $merchant }.
flow-pending-offline = Disimpan secara offline: { $amount } akan dikirim saat Anda online.
flow-pending-unresolved = { $amount } masih dikonfirmasi. Aplikasi akan menyelesaikannya untuk Anda.
flow-needs-attention = Kami belum dapat memastikan apakah { $amount } sudah dibayar. Jangan bayar lagi; hubungi layanan pelanggan.
flow-declined = Pembayaran ditolak. Anda tidak ditagih.
flow-declined-insufficient-funds = Pembayaran ditolak: saldo rekening tidak cukup. Anda tidak ditagih.
flow-declined-limit = Pembayaran ditolak: melebihi batas rekening Anda. Anda tidak ditagih.
flow-declined-code-used = Pembayaran ditolak: pesanan ini sudah dibayar atau kedaluwarsa. Tanyakan kepada kasir.
flow-reversed = Tidak ada jawaban yang jelas, jadi pembayaran dibatalkan. Anda tidak ditagih.
flow-not-sent = Pembayaran tidak dapat dikirim. Tidak ada yang dibayar. Periksa koneksi dan coba lagi.
flow-not-started = Pembayaran tidak dimulai. Tidak ada yang dibayar.
flow-not-merchant-code = Ini bukan kode pembayaran.
flow-damaged-code = Kode pembayaran ini rusak. Minta kode lain dari merchant.
flow-no-text = Kode QR ini kosong.
flow-too-long = Kode ini terlalu panjang untuk kode pembayaran.
flow-amount-fixed = Jumlah pada kode ini tidak dapat diubah.
flow-tip-not-allowed = Kode ini tidak menerima tip.
flow-amount-too-long = Jumlahnya terlalu panjang.
flow-amount-required = Masukkan jumlah yang valid dahulu.
flow-amount-zero = Jumlah tidak boleh nol.
flow-amount-invalid = Ini bukan jumlah yang valid.
flow-amount-too-large = Jumlahnya terlalu besar.
flow-total-changed = Totalnya berubah. Periksa dan konfirmasi lagi.
flow-limit-per-payment = Ini melebihi batas { $limit } per pembayaran. Tidak ada yang dibayar.
flow-limit-daily = Ini melebihi batas harian { $limit } ({ $spent } sudah terpakai). Tidak ada yang dibayar.
flow-offline-not-allowed = Anda sedang offline, dan pembayaran memerlukan koneksi. Tidak ada yang dibayar.
flow-offline-limit-per-payment = Anda sedang offline. Pembayaran offline dibatasi { $limit } per transaksi.
flow-offline-limit-total = Anda sedang offline. Pembayaran offline dibatasi { $limit } totalnya; { $queued } sudah menunggu.
flow-currency-not-allowed = Pembayaran dalam mata uang ini tidak diaktifkan di dompet ini.
flow-pin-free-offline = Anda sedang offline. Pembayaran tanpa PIN memerlukan koneksi; gunakan PIN.
flow-payment-not-found = Pembayaran ini tidak ada di dompet.
flow-payment-in-progress = Pembayaran ini sedang diproses. Tunggu hasilnya.
flow-not-now = Ini tidak dapat dilakukan pada langkah ini. Layar menunjukkan status pembayaran Anda.

## Merchant verification (anti-phishing)

trust-verified = Merchant terverifikasi: { $merchant }, { $city }
trust-malformed-payload = Ini bukan kode pembayaran yang valid.
trust-no-signature = Kode ini tidak memiliki tanda tangan { -brand }, jadi merchant tidak dapat diperiksa.
trust-malformed-signature = Tanda tangan kode ini rusak, jadi merchant tidak dapat diperiksa.
trust-unsupported = Kode ini memakai format yang lebih baru. Perbarui aplikasi untuk memeriksanya.
trust-no-registry = Daftar merchant belum dimuat. Sambungkan ke internet untuk memeriksa merchant.
trust-registry-expired = Daftar merchant sudah usang. Sambungkan ke internet untuk memeriksa merchant.
trust-unknown-key = Merchant ini tidak terdaftar di { -brand }.
trust-bad-signature = Kode ini telah diubah atau dipalsukan. Jangan bayar.
trust-revoked-key = Kode merchant ini telah ditarik. Jangan bayar; tanyakan ke merchant.
trust-key-not-yet-valid = Kode merchant ini belum berlaku. Tanyakan ke merchant.
trust-key-expired = Kode merchant ini sudah kedaluwarsa. Minta kode baru dari merchant.
trust-code-expired = Kode pembayaran ini sudah kedaluwarsa. Minta kode baru dari merchant.
trust-expiry-too-far = Kode pembayaran ini mengaku berlaku terlalu lama, jadi ditolak.
trust-replayed = Kode pembayaran ini sudah dipakai. Minta kode baru dari merchant.
trust-name-mismatch = Nama pada kode ini, { $printed }, bukan nama terdaftar { $registered }. Mungkin kode palsu.
trust-confusable-name = Nama pada kode ini, { $printed }, meniru { $registered }. Ini tampak seperti kode palsu.
trust-mixed-script = Nama { $name } mencampur huruf seperti kode palsu.
trust-name-missing = (tanpa nama)
trust-account-not-registered = Kode ini membayar ke rekening yang tidak didaftarkan merchant. Kode palsu mungkin ditempel di atas kode asli.
trust-warning-registry-stale = Daftar merchant belum dapat diperbarui belakangan ini; kode yang baru ditarik mungkin belum diketahui.
trust-warning-city-differs = Kode menyebut { $printed }, tetapi merchant terdaftar di { $registered }.
trust-warning-dynamic-without-nonce = Kode ini dapat dibayar lebih dari sekali. Periksa jumlahnya dengan kasir.

## Pay codes (shown to the cashier)

paycode-show-cashier = Tunjukkan kode ini ke kasir.
paycode-not-provisioned = Sambungkan ke internet sekali untuk menyiapkan kode bayar Anda.
paycode-offline-limit-codes = Anda sudah menunjukkan { $issued } kode sejak terakhir online (maksimal { $max }). Sambungkan ke internet untuk lebih banyak.
paycode-offline-limit-total = Kode yang ditunjukkan sejak terakhir online mungkin sudah ditagih hingga { $limit }. Sambungkan ke internet untuk lebih banyak.
paycode-offline-allowance = Saat offline, Anda dapat menunjukkan hingga { $max } kode; masing-masing dapat ditagih hingga { $limit } tanpa PIN.
paycode-window-exhausted = Sambungkan ke internet dan buka kode bayar lagi dengan PIN Anda.
paycode-secret-replaced = Kode bayar Anda telah disiapkan ulang. Buka lagi.
paycode-closed = Kode bayar telah ditutup. Buka lagi.
paycode-unknown-charge = Tagihan ini belum dikenal. Muat ulang.
paycode-charge-already-paid = Tagihan ini sudah dibayar.
paycode-charge-cancelled = Tagihan ini dibatalkan. Tidak ada yang dibayar.
paycode-charge-refunded = Tagihan ini telah dikembalikan kepada Anda.
paycode-charge-request = { $merchant } meminta { $amount }. Masukkan PIN untuk membayar.

paycode-enter-pin = Masukkan PIN Anda untuk menampilkan kode bayar Anda.
paycode-hidden-capture = Layar sedang direkam atau dibagikan, jadi kode bayar Anda disembunyikan.
paycode-next-code = Kode baru dalam { $seconds } detik
paycode-next-code-offline = Offline · kode baru dalam { $seconds } detik
paycode-charge-paid = Anda membayar { $amount } ke { $merchant }.
paycode-charge-paid-receipt = Anda membayar { $amount } ke { $merchant }. Struk { $receipt }.
paycode-charge-sent = Jawaban Anda sudah dikirim. Hasilnya muncul setelah layanan pembayaran mengonfirmasinya.
paycode-charge-declined = Anda menolak. { $merchant } tidak dibayar.
paycode-merchant-unlisted = Toko ini tidak ada di daftar merchant. Namanya diberikan oleh layanan pembayaran.

## PIN-free and biometric shortcuts

shortcut-pin-free-limit = Hingga { $limit } tanpa PIN
shortcut-biometric-title = Bayar { $amount }
shortcut-biometric-subtitle = ke { $merchant }
shortcut-payer-chose = Anda memilih konfirmasi dengan PIN.
shortcut-not-opted-in = Pembayaran tanpa PIN tidak diaktifkan untuk mata uang ini.
shortcut-offline = Pembayaran tanpa PIN memerlukan koneksi. Masukkan PIN Anda.
shortcut-pin-lockout = Setelah PIN salah, masukkan PIN sekali sebelum membayar tanpa PIN.
shortcut-merchant-unverified = Merchant ini tidak terverifikasi, jadi PIN Anda diperlukan.
shortcut-trust-warning = Kode merchant ini disertai peringatan, jadi PIN Anda diperlukan.
shortcut-static-code = Hanya kode dengan jumlah dari merchant yang dapat dibayar tanpa PIN.
shortcut-tip-entered = Tip ditambahkan, jadi PIN Anda diperlukan.
shortcut-over-per-payment = Ini melebihi { $limit }, batas bayar tanpa PIN.
shortcut-new-merchant = Merchant ini baru di dompet Anda, jadi PIN Anda diperlukan.
shortcut-over-daily-count = Anda sudah { $limit } kali bayar tanpa PIN dalam 24 jam terakhir. Masukkan PIN Anda.
shortcut-over-daily-total = Ini melebihi { $limit } per hari tanpa PIN ({ $spent } terpakai). Masukkan PIN Anda.
shortcut-pin-required = Layanan pembayaran meminta PIN untuk pembayaran ini.
shortcut-unavailable = Bayar tanpa PIN tidak tersedia sekarang. Masukkan PIN Anda.
shortcut-biometric-cancelled = Konfirmasi dibatalkan. Coba lagi atau gunakan PIN.
shortcut-biometric-locked-out = Sidik jari dan wajah terkunci karena terlalu banyak percobaan. Gunakan PIN.
shortcut-biometric-not-enrolled = Belum ada sidik jari atau wajah di ponsel ini. Gunakan PIN.
shortcut-biometric-changed = Pengaturan sidik jari atau wajah di ponsel ini berubah. Gunakan PIN, lalu aktifkan lagi fitur ini.
shortcut-biometric-unavailable = Sidik jari dan wajah tidak dapat dipakai sekarang. Gunakan PIN.
shortcut-biometric-failed = Pemeriksaan sidik jari atau wajah gagal. Gunakan PIN.

## Shortcut settings (turning PIN-free or biometric payments on and off)

shortcut-settings-not-offered = Dompet ini tidak menawarkan pintasan ini.
shortcut-settings-over-cap = Batas ini lebih tinggi dari yang diizinkan dompet. Pilih batas yang lebih rendah.
shortcut-settings-already-on = Pintasan ini sudah aktif.
shortcut-settings-biometric-unavailable = Sidik jari dan wajah tidak dapat dipakai di ponsel ini sekarang.
shortcut-settings-refused = Layanan pembayaran tidak menerima perubahan ini.
shortcut-settings-pin-needed = Masukkan PIN Anda untuk melakukan perubahan ini.

shortcut-settings-biometric-title = Konfirmasi pembayaran dengan sidik jari atau wajah
shortcut-settings-pin-free-title = Bayar jumlah kecil tanpa PIN
shortcut-pin-free-offer = Hingga { $per_payment } per pembayaran, { $daily_total } dan { $daily_count } pembayaran per hari.
shortcut-settings-push-pending = Perubahan ini sampai ke layanan pembayaran saat Anda kembali online.
shortcut-settings-biometric-ready = Sidik jari atau wajah dapat mengonfirmasi pembayaran di ponsel ini.
shortcut-settings-biometric-not-enrolled = Tambahkan sidik jari atau wajah di pengaturan ponsel terlebih dahulu.
shortcut-settings-biometric-locked = Sidik jari dan wajah terkunci. Buka kunci ponsel dengan kode sandinya terlebih dahulu.
shortcut-settings-biometric-no-hardware = Ponsel ini tidak punya sensor sidik jari atau wajah yang dapat mengonfirmasi pembayaran.
shortcut-lapsed-biometric-pin-changed = Konfirmasi sidik jari atau wajah nonaktif karena PIN Anda berubah. Aktifkan lagi dengan PIN baru.
shortcut-lapsed-biometric-changed = Konfirmasi sidik jari atau wajah nonaktif karena sidik jari atau wajah di ponsel ini berubah. Aktifkan lagi dengan PIN Anda.
shortcut-lapsed-biometric-key-missing = Konfirmasi sidik jari atau wajah nonaktif karena ponsel ini kehilangan kuncinya. Aktifkan lagi dengan PIN Anda.
shortcut-lapsed-biometric-unverified = Konfirmasi sidik jari atau wajah nonaktif karena sebuah konfirmasi tidak dapat diverifikasi. Aktifkan lagi dengan PIN Anda.
shortcut-lapsed-biometric-off = Anda menonaktifkan konfirmasi sidik jari atau wajah.
shortcut-lapsed-pin-free-pin-changed = Pembayaran tanpa PIN nonaktif karena PIN Anda berubah. Aktifkan lagi dengan PIN baru.
shortcut-lapsed-pin-free-off = Anda menonaktifkan pembayaran tanpa PIN.
shortcut-lapsed-pin-free = Pembayaran tanpa PIN nonaktif. Aktifkan lagi dengan PIN Anda.

## Network and the payment service

net-unreachable = Layanan pembayaran tidak dapat dihubungi. Periksa koneksi Anda.
net-tls = Jaringan ini menyadap koneksi aman. Gunakan jaringan lain.
net-no-answer = Tidak ada jawaban dari layanan pembayaran. Coba lagi.
net-refused = Layanan pembayaran menolak permintaan (galat { $status }).
net-server-failed = Layanan pembayaran gagal (galat { $status }). Coba lagi nanti.
net-bad-answer = Layanan pembayaran mengirim jawaban yang tidak dapat dipakai.
net-register-again = Daftarkan ponsel ini lagi dengan kode pendaftaran Anda.
net-no-backend = Aplikasi ini belum memiliki layanan pembayaran.

## The wallet and its storage

wallet-internal-error = Terjadi kesalahan di aplikasi. Uang Anda tidak berpindah.
wallet-internal-error-check = Terjadi kesalahan di aplikasi. Periksa riwayat pembayaran sebelum membayar lagi.
wallet-storage-failed = Dompet tidak dapat membaca atau menyimpan catatannya. Mulai ulang aplikasi.
wallet-storage-damaged = Catatan dompet rusak. Hubungi layanan pelanggan sebelum memasang ulang.
wallet-newer-version = Dompet ini disimpan oleh versi aplikasi yang lebih baru. Perbarui aplikasi.
wallet-busy = Dompet sedang sibuk. Coba lagi sebentar.
wallet-disk-full = Penyimpanan ponsel ini penuh. Kosongkan ruang dan coba lagi.
wallet-registry-refused = Pembaruan daftar merchant ditolak. Daftar yang ada tetap dipakai.

## Connectivity status

status-online = Online
status-slow = Koneksi lambat.
status-errors = Layanan pembayaran sedang bermasalah.
status-tls = Jaringan ini menyadap koneksi aman.
status-offline = Offline: pembayaran akan dikirim saat Anda kembali online.
status-pending-payments = { $count } pembayaran menunggu

## Receipts and history

receipt-paid = Dibayar
receipt-pending = Tertunda
receipt-failed = Tidak dibayar
receipt-reversed = Dibatalkan
receipt-needs-attention = Cek ke layanan pelanggan
receipt-reference = Referensi: { $reference }
receipt-total = Total { $amount }
receipt-tip = Tip { $amount }
receipt-refunded = Dikembalikan

## Screen captions: buttons, tabs, fields and headings

ui-pay = Bayar
ui-confirm = Konfirmasi
ui-cancel = Batal
ui-continue = Lanjutkan
ui-done = Selesai
ui-try-again = Coba lagi
ui-check-again = Cek lagi
ui-use-pin = Pakai PIN
ui-decline = Tolak
ui-turn-on = Aktifkan
ui-turn-off = Nonaktifkan
ui-use-code = Pakai kode ini
ui-import-photo = Impor foto
ui-pay-this-merchant = Bayar merchant ini
ui-tab-scan = Pindai untuk bayar
ui-tab-paycode = Kode bayar
ui-tab-shortcuts = Pintasan
ui-field-amount = Jumlah
ui-field-tip = Tip (opsional)
ui-field-paste-code = Atau tempel kode
ui-you-are-paying = Anda membayar ke
ui-camera-needed = Izinkan kamera untuk memindai kode pembayaran.
ui-opening-wallet = Membuka dompet Anda…
ui-registering = Menyiapkan ponsel ini…
ui-wallet-open-failed = Dompet Anda tidak dapat dibuka.
ui-choose-pin = Pilih PIN { $length } digit.
ui-photo-not-image = File ini bukan gambar.
ui-photo-no-code = Tidak ada kode QR di gambar ini.
