// placeholder until the transport tests land
