// ScanPay for Android: the `scanpay` library (AAR: generated UniFFI Kotlin,
// jniLibs, the idiomatic layer) and the `sample` Compose app.
// Build steps: docs/android.md.
pluginManagement {
    repositories {
        google {
            content {
                includeGroupByRegex("com\\.android.*")
                includeGroupByRegex("com\\.google.*")
                includeGroupByRegex("androidx.*")
            }
        }
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "scanpay-android"
include(":scanpay")
include(":sample")
