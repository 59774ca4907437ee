// The ScanPay sample app (Jetpack Compose): camera scan, merchant review,
// amount, PIN pad, result, connectivity banner. The logic lives in plain
// Kotlin view-models (src/main/kotlin/app/scanpay/sample/model/), tested on the
// JVM by scripts/test-android-jvm.sh.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

fun prop(name: String, default: String) = providers.gradleProperty(name).getOrElse(default)

android {
    namespace = "app.scanpay.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "app.scanpay.sample"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        ndk {
            // Only the ABIs ../build-rust.sh builds libscanpay_ffi.so for. JNA's
            // AAR also ships x86 (32-bit): without this filter a 32-bit x86
            // device would install the app with JNA but without the core, and
            // fail on the first call. check-build-scripts.sh compares the lists.
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
        buildConfigField("String", "SANDBOX_URL", "\"${prop("scanpay.sandboxUrl", "https://10.0.2.2:8443")}\"")
        buildConfigField("String", "ENROLMENT_CODE", "\"${prop("scanpay.enrolmentCode", "SANDBOX")}\"")
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
            // A sample: signed with the debug key so `assembleRelease` installs.
            signingConfig = signingConfigs.getByName("debug")
        }
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        jniLibs {
            // Uncompressed, 16 KB-aligned native libraries in the APK (AGP 8.5.1+).
            useLegacyPackaging = false
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":scanpay"))
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.ui.tooling.preview)
    implementation(libs.androidx.compose.material3)
    debugImplementation(libs.androidx.compose.ui.tooling)
    implementation(libs.androidx.camera.core)
    implementation(libs.androidx.camera.camera2)
    implementation(libs.androidx.camera.lifecycle)
    implementation(libs.androidx.camera.view)
}
