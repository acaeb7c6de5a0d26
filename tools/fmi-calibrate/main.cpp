// fmi-calibrate: run under fmirun with the job's configuration; see --help
// and docs/model.md.
#include "calibrate.hpp"
#include "options.hpp"

#include <fmi/communicator.hpp>
#include <fmi/errors.hpp>

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
    try {
        fmi::calibrate::Options options = fmi::calibrate::parse_options(argc, argv);
        fmi::Communicator comm = fmi::Communicator::from_environment();
        if (options.verify) {
            fmi::calibrate::verify(comm, options);
        } else {
            std::string section = fmi::calibrate::calibrate(comm, options);
            if (comm.peer_id() == 0) {
                if (options.out.empty()) {
                    std::cout << section;
                } else {
                    std::ofstream out(options.out);
                    out << section;
                    if (!out) throw fmi::IoError("fmi-calibrate: cannot write '" + options.out + "'");
                    std::cerr << "fmi-calibrate: wrote " << options.out << "\n";
                }
            }
        }
        comm.finalize();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "fmi-calibrate: " << e.what() << "\n";
        return 1;
    }
}
