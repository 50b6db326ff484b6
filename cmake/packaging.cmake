# `cpack -G DEB` in a build directory makes weir_VERSION_amd64.deb: the binary, the systemd
# unit, /etc/weir/weir.yaml (a conffile: upgrades keep local edits) and the annotated example.
install(FILES packaging/systemd/weir.service DESTINATION lib/systemd/system)
install(FILES packaging/weir.yaml DESTINATION /etc/weir)
install(FILES conf/weir.yaml DESTINATION share/doc/weir RENAME weir.yaml.example)
install(FILES README.md DESTINATION share/doc/weir)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME weir)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "weir maintainers <weir@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Layer-7 HTTP load balancer and reverse proxy")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the libraries the binary links (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles)
include(CPack)
